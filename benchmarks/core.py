"""Benchmark of the core library: validation and signatures against their bare libraries.

    python benchmarks/core.py            # print the table and the targets
    python benchmarks/core.py --write    # and replace this script's section of RESULTS.md

What it measures, each side by side in one run, alternating rounds so that a busy
machine slows both sides alike, and reporting the median of the rounds:

- export permits of 1, 100 and 1,000 line items (``sample_permit(items=N)``, built and
  serialised to bytes): full validation with ``epix.validation.validate(bytes)`` (parse,
  schema, code lists, rules) against bare lxml (parse, then ``XMLSchema.validate`` with
  the compiled permit schema), and their ratio;
- signing and verifying a 10-line permit: ``epix.signing.sign`` / ``verify`` (structure,
  algorithm policy, chain to the sender's anchor, key usage, validity, CRL) against bare
  signxml (``XMLSigner`` with exclusive c14n and RSA-SHA256; ``XMLVerifier`` given the
  certificate), with the same key loaded once from a test PKI made in a temporary folder.

Targets (the issue): full validation of the 1,000-line permit within 5 times bare lxml;
harness sign and verify rates at least half of bare signxml's. Exit status 1 with
``--fail-on-miss`` when a target is missed. Only the section between this script's
markers in RESULTS.md is replaced; the rest of the file belongs to other benchmarks.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from lxml import etree
from signxml import XMLSigner, XMLVerifier, methods
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from epix.messages.permit import build_permit
from epix.pki import init_pki
from epix.safexml import parse, to_bytes
from epix.samples import sample_permit
from epix.schemaset import default_schema_set
from epix.signing import sign, verify
from epix.validation import validate

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN = "<!-- benchmarks/core.py: begin (generated, do not edit by hand) -->"
END = "<!-- benchmarks/core.py: end -->"
SIZES = (1, 100, 1000)
SIGNED_ITEMS = 10
#: Targets of the issue.
MAX_VALIDATION_RATIO = 5.0
MIN_SIGNATURE_SHARE = 0.5


@dataclass
class Pair:
    """Median seconds per call of the harness and of the bare library, measured together."""

    harness: float
    bare: float

    @property
    def ratio(self) -> float:
        return self.harness / self.bare


def calls_for(function: Callable[[], object], budget: float) -> int:
    """How many calls of ``function`` take about ``budget`` seconds (at least 1)."""
    start = time.perf_counter()
    function()
    once = max(time.perf_counter() - start, 1e-6)
    return max(1, int(budget / once))


def per_call(function: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def side_by_side(harness: Callable[[], object], bare: Callable[[], object], *, rounds: int, budget: float) -> Pair:
    """Alternate rounds of ``harness`` and ``bare`` (which goes first alternates too);
    the median time per call of each."""
    harness(), bare()  # warm caches: compiled schemas, code lists, lru caches
    n_harness, n_bare = calls_for(harness, budget), calls_for(bare, budget)
    times_h: list[float] = []
    times_b: list[float] = []
    for index in range(rounds):
        if index % 2 == 0:
            times_h.append(per_call(harness, n_harness))
            times_b.append(per_call(bare, n_bare))
        else:
            times_b.append(per_call(bare, n_bare))
            times_h.append(per_call(harness, n_harness))
    return Pair(statistics.median(times_h), statistics.median(times_b))


def permit_bytes(items: int) -> bytes:
    return to_bytes(build_permit(sample_permit("export-permit", items=items)))


def bench_validation(rounds: int, budget: float) -> dict[int, Pair]:
    schema_set = default_schema_set()
    permit_schema = schema_set.schema_for(schema_set.fieldmap.root_tag)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    results = {}
    for items in SIZES:
        data = permit_bytes(items)
        report = validate(data)
        if report.findings:
            raise SystemExit(f"the {items}-item sample permit is not valid: {report.findings[0]}")
        if not permit_schema.validate(etree.fromstring(data, parser)):
            raise SystemExit(f"the {items}-item sample permit does not pass bare lxml validation")

        def full(data: bytes = data) -> object:
            return validate(data)

        def bare(data: bytes = data) -> object:
            return permit_schema.validate(etree.fromstring(data, parser))

        results[items] = side_by_side(full, bare, rounds=rounds, budget=budget)
    return results


def bench_signatures(rounds: int, budget: float) -> tuple[Pair, Pair]:
    with tempfile.TemporaryDirectory(prefix="epix-bench-pki-") as folder:
        pki = init_pki(["CH", "FR"], Path(folder))
        key = pki.signing_key("CH")  # loaded once, for both sides
        trust = pki.trust_store
    facts = sample_permit("export-permit", items=SIGNED_ITEMS)
    root = build_permit(facts)
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    verifier = XMLVerifier()

    def harness_sign() -> etree._Element:
        return sign(root, key)

    def bare_sign() -> etree._Element:
        return signer.sign(root, key=key.private_key, cert=[key.certificate])

    signed = parse(to_bytes(harness_sign()))
    bare_signed = parse(to_bytes(bare_sign()))
    outcome = verify(signed, trust, sender="CH", at=facts.issued_at)
    if not outcome.passed:
        raise SystemExit(f"the harness does not verify its own signature: {outcome.finding}")

    def harness_verify() -> object:
        return verify(signed, trust, sender="CH", at=facts.issued_at)

    def bare_verify() -> object:
        return verifier.verify(bare_signed, x509_cert=key.certificate)

    signing = side_by_side(harness_sign, bare_sign, rounds=rounds, budget=budget)
    verifying = side_by_side(harness_verify, bare_verify, rounds=rounds, budget=budget)
    return signing, verifying


def machine() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{os.cpu_count()} CPUs (nproc {usable}), {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, lxml {version('lxml')}, signxml {version('signxml')}, "
            f"xmlschema {version('xmlschema')}, cryptography {version('cryptography')}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def rate(seconds: float) -> str:
    return f"{1 / seconds:,.0f}/s"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render(validation: dict[int, Pair], signing: Pair, verifying: Pair, rounds: int) -> tuple[str, bool]:
    """The Markdown section, and whether every target was met."""
    largest = validation[max(SIZES)]
    targets = [
        (f"full validation of the {max(SIZES):,}-item permit within {MAX_VALIDATION_RATIO:g}x bare lxml",
         largest.ratio <= MAX_VALIDATION_RATIO, f"{largest.ratio:.2f}x"),
        (f"harness sign rate at least {MIN_SIGNATURE_SHARE:.0%} of bare signxml",
         1 / signing.ratio >= MIN_SIGNATURE_SHARE, f"{1 / signing.ratio:.0%}"),
        (f"harness verify rate at least {MIN_SIGNATURE_SHARE:.0%} of bare signxml",
         1 / verifying.ratio >= MIN_SIGNATURE_SHARE, f"{1 / verifying.ratio:.0%}"),
    ]
    lines = [
        "## Core library: validation and signatures (`benchmarks/core.py`)",
        "",
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"Median of {rounds} alternating rounds per pair.",
        "",
        "| export permit | `epix.validation.validate` | bare lxml parse + XMLSchema | ratio |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for items, pair in validation.items():
        lines.append(f"| {items:,} item{'s' if items > 1 else ''} | {ms(pair.harness)} | {ms(pair.bare)} | {pair.ratio:.2f}x |")
    lines += [
        "",
        f"| {SIGNED_ITEMS}-item permit, RSA-2048 | harness | bare signxml | harness / bare rate |",
        "| --- | ---: | ---: | ---: |",
        f"| sign | {rate(signing.harness)} ({ms(signing.harness)}) | {rate(signing.bare)} ({ms(signing.bare)}) "
        f"| {1 / signing.ratio:.0%} |",
        f"| verify | {rate(verifying.harness)} ({ms(verifying.harness)}) | {rate(verifying.bare)} "
        f"({ms(verifying.bare)}) | {1 / verifying.ratio:.0%} |",
        "",
        "| target | measured | result |",
        "| --- | ---: | --- |",
    ]
    lines += [f"| {text} | {measured} | {verdict(ok)} |" for text, ok, measured in targets]
    lines += [
        "",
        "Harness validation: safe parse, lxml schema check (xmlschema only for an invalid document), "
        "fact extraction, code lists (DOC-02), rules DOC-03 to DOC-11. Harness signing checks the "
        "algorithm and key; harness verification adds structure, algorithm policy, chain to the "
        "sender's anchor, key usage, validity at the issue time and the CRL to what signxml checks.",
    ]
    return "\n".join(lines) + "\n", all(ok for _, ok, _ in targets)


def write_section(section: str, path: Path = RESULTS) -> None:
    """Replace the text between this script's markers in ``path`` (append it if absent)."""
    block = f"{BEGIN}\n{section}{END}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    start, end = text.find(BEGIN), text.find(END)
    if start != -1 and end > start:
        rest = text[end + len(END):].lstrip("\n")
        text = text[:start] + block + ("\n" + rest if rest else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"replace this script's section of {RESULTS.name}")
    parser.add_argument("--rounds", type=int, default=21, help="alternating rounds per pair (default 21)")
    parser.add_argument("--budget", type=float, default=0.1, help="seconds per round and side (default 0.1)")
    parser.add_argument("--fail-on-miss", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)
    validation = bench_validation(args.rounds, args.budget)
    signing, verifying = bench_signatures(args.rounds, args.budget)
    section, met = render(validation, signing, verifying, args.rounds)
    print(section)
    if args.write:
        write_section(section)
        print(f"wrote the section of {RESULTS}")
    return 1 if args.fail_on_miss and not met else 0


if __name__ == "__main__":
    sys.exit(main())
