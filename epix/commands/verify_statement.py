"""``epix verify-statement``: check that a run folder is as it was signed.

    epix verify-statement RUN_DIR [--anchor CA.pem]

Checks ``manifest.sig`` (the signature of ``manifest.json``, :mod:`epix.report.seal`) and the
SHA-256 of every file of the folder against the manifest, then says who signed (the
certificate's subject, and whether it chains to the trust anchor given with ``--anchor``) and
when (the time inside the signed manifest), and names each file changed, added or removed.
Exit codes: 0 the signature holds and no file changed; 1 it does not, or a file changed, was
added or removed; 2 RUN_DIR is not a folder or the anchor cannot be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cryptography import x509

from epix.exits import Exit, UsageError

EXIT_CODES = ("exit codes: 0 the signature holds and every file is as signed; 1 the signature does not hold, the "
              "folder is not signed, or a file was changed, added or removed; 2 the folder or the anchor cannot "
              "be used")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify-statement", help="check the signature of a run folder and that no file of it changed",
        description="Check the signature of a run folder (manifest.sig over manifest.json, which `epix run` writes "
                    "last) and the SHA-256 of every file in it; say who signed and when, and name each file that "
                    "was changed, added or removed since.",
        epilog=EXIT_CODES)
    parser.add_argument("run_dir", type=Path, help="the folder `epix run` wrote")
    parser.add_argument("--anchor", type=Path, action="append", default=[],
                        help="a CA certificate (PEM) the signing certificate must chain to; may be repeated")
    parser.set_defaults(func=verify)


def verify(args: argparse.Namespace) -> int:
    from epix.report.seal import SealError, verify_run

    folder: Path = args.run_dir
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; give the folder that `epix run` wrote")
    anchors = [certificate for path in args.anchor for certificate in _anchors(path)]
    print(f"epix verify-statement: {folder}")
    try:
        verification = verify_run(folder, anchors)
    except SealError as error:
        print(f"NOT VERIFIED: {error}")
        return Exit.FAILED
    for line in verification.lines():
        print(line)
    if verification.ok:
        print("VERIFIED: the signature holds and every file is as it was signed")
        return Exit.OK
    print("NOT VERIFIED: " + "; ".join([*verification.problems, *(
        [f"{len(verification.differences.lines())} file(s) differ from the signed manifest"]
        if verification.differences else [])]))
    return Exit.FAILED


def _anchors(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"--anchor {path}: cannot read the file: {exc.strerror}") from None
    except ValueError:
        raise UsageError(f"--anchor {path} is not a PEM certificate") from None
