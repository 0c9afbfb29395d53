"""The ``eksiam`` command: argparse wiring only; the work lives in library functions."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from gate.errors import EXIT_FAILED, EXIT_PASSED, EksiamError, UsageError
from gate.report import FORMATS


class _Parser(argparse.ArgumentParser):
    """argparse, but bad usage is one line on stderr and exit 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="FILE",
        help="TOML configuration (default: eksiam.toml in the working directory, when present)",
    )


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format on stdout or --output (default: text)")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument(
        "--report", metavar="FORMAT=FILE", action="append", default=[],
        help="also write the report in FORMAT to FILE; repeatable (e.g. --report sarif=eksiam.sarif)",
    )
    parser.add_argument(
        "--fail-on", metavar="SEVERITY", default="MEDIUM",
        help="lowest severity that fails the gate: LOW, MEDIUM, HIGH or CRITICAL (default: MEDIUM)",
    )
    parser.add_argument("--waivers", metavar="FILE", help="TOML file of waivers (rule, resource, reason, expires)")
    parser.add_argument("--opa-url", metavar="URL", help="evaluate on this OPA server instead of the embedded engine (token: EKSIAM_OPA_TOKEN)")


def _add_synth(subparsers) -> None:
    parser = subparsers.add_parser("synth", help="synthesize both role stacks to cdk.tf.json")
    _add_config(parser)
    parser.add_argument("--out", metavar="DIR", default="cdktf.out", help="output directory (default: cdktf.out)")
    parser.set_defaults(func=_synth)


def _add_check(subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="check synthesized stacks, plans or snapshots against the policies",
        description="Without --input: synthesize, plan and check both stacks with OPA and checkov. "
        "With --input: check only the given files (cdk.tf.json, `terraform show -json` plan, "
        "HCP Terraform policy input, or IAM snapshot; detected from content).",
    )
    _add_config(parser)
    parser.add_argument("--input", metavar="FILE", action="extend", nargs="+", help="check only these files")
    parser.add_argument("--out", metavar="DIR", default="cdktf.out", help="where to synthesize when no --input is given")
    parser.add_argument("--no-checkov", action="store_true", help="evaluate with OPA only (the report says so)")
    _add_report_options(parser)
    parser.set_defaults(func=_check)


def _add_verify(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="check the roles in the live AWS account (AWS_ENDPOINT_URL, AWS_REGION, credentials chain)",
    )
    _add_config(parser)
    parser.add_argument("--snapshot", metavar="FILE", help="also save the IAM snapshot that was checked to FILE")
    _add_report_options(parser)
    parser.set_defaults(func=_verify)


def _synth(args: argparse.Namespace) -> int:
    from gate.pipeline import display_path
    from stacks.app import synthesize
    from stacks.config import load_config

    config = load_config(args.config)
    result = synthesize(config, args.out)
    for stack_file in result.stack_files:
        print(f"synthesized {display_path(stack_file)}")
    return EXIT_PASSED


def _check(args: argparse.Namespace) -> int:
    from gate.pipeline import run_check

    request = _request(args)
    report = run_check(request)
    return _emit(report, args)


def _verify(args: argparse.Namespace) -> int:
    from gate.pipeline import run_verify

    request = _request(args)
    report = run_verify(request, snapshot_file=args.snapshot)
    return _emit(report, args)


def _request(args: argparse.Namespace):
    """The run's request, with every report option checked before any work starts."""
    from gate.pipeline import CheckRequest
    from gate.report import parse_report_option

    for option in args.report:
        parse_report_option(option)
    return CheckRequest.from_args(args)


def _emit(report, args: argparse.Namespace) -> int:
    from gate.report import write_reports

    write_reports(report, args.format, args.output, args.report)
    return EXIT_PASSED if report.passed else EXIT_FAILED


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("eksiam")
    except PackageNotFoundError:
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="eksiam",
        description="Generate the Amazon EKS connector agent and worker node IAM roles, and prove they match the AWS documents.",
        epilog="exit codes: 0 every policy passed, 1 a finding at or above --fail-on, "
        "2 bad usage or input, 3 a tool the gate depends on failed (nothing was passed)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_synth(subparsers)
    _add_check(subparsers)
    _add_verify(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except EksiamError as error:
        if debug:
            traceback.print_exc()
        print(f"eksiam: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("eksiam: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
