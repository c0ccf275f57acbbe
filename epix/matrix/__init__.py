"""The pilot matrix: which pairs of parties are ready to exchange, per binding, from their runs.

``runs`` reads one party's run folder, ``directions`` says what each direction of an
exchange needs of either side, ``grid`` judges every pair, ``page`` draws the HTML in the
reader's language (:mod:`epix.i18n`).
"""

from epix.matrix.grid import Matrix, build_matrix
from epix.matrix.page import write_matrix
from epix.matrix.runs import PartyRun, RunFolderError, load_run

__all__ = ["Matrix", "PartyRun", "RunFolderError", "build_matrix", "load_run", "write_matrix"]
