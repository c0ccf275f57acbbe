"""The simulated partner: a reference Management Authority endpoint for both bindings of the
profile, on a real HTTPS server, with a SQLite store and a switchboard of faults.

Start it in process with :func:`running_partner`, or from the command line with
``epix simulate``.
"""

from epix.partner.config import PartnerConfig
from epix.partner.faults import CATALOGUE, FAULTS, Fault, Faults
from epix.partner.running import RunningPartner, partner_app, running_partner

__all__ = ["CATALOGUE", "FAULTS", "Fault", "Faults", "PartnerConfig", "RunningPartner", "partner_app",
           "running_partner"]
