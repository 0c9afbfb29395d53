"""The ``eksiam`` command: argparse wiring only; the work lives in library functions."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from eksiam.errors import ToolError, EXIT_FAILED, EXIT_PASSED, EXIT_USAGE, EksiamError, UsageError
from eksiam.gate.report import FORMATS

if TYPE_CHECKING:
    from eksiam.gate.findings import Report
    from eksiam.gate.pipeline import CheckRequest

    _Subparsers = argparse._SubParsersAction["_Parser"]


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
        "--fail-on", metavar="SEVERITY",
        help="lowest severity that fails the gate: LOW, MEDIUM, HIGH or CRITICAL (default: [gate] fail_on, else MEDIUM)",
    )
    parser.add_argument("--waivers", metavar="FILE", help="TOML file of waivers (rule, resource, reason, expires; default: [gate] waivers)")
    parser.add_argument(
        "--fail-on-unused-waivers", action="store_true", help="fail the gate when a waiver matches no finding (they are listed either way)",
    )
    parser.add_argument("--opa-url", metavar="URL", help="evaluate on this OPA server instead of the embedded engine (token: EKSIAM_OPA_TOKEN)")


def _add_app_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app", metavar="CMD", help="the cdktf app command (default: \"app\" in cdktf.json)")
    parser.add_argument("--stack", metavar="NAME", action="append", default=[], help="only this stack; repeatable (default: every stack)")
    parser.add_argument("--out", metavar="DIR", help="output directory (default: \"output\" in cdktf.json, else cdktf.out)")


def _add_synth(subparsers: _Subparsers) -> None:
    parser = subparsers.add_parser(
        "synth", help="synthesize the cdktf app of the working directory (cdktf.json) to cdk.tf.json",
        description="Run the app that cdktf.json names and write its stacks to <output>/stacks/<stack>/cdk.tf.json; "
        "other files under the output directory are left alone.",
    )
    _add_config(parser)
    _add_app_options(parser)
    parser.set_defaults(func=_synth)


def _add_check(subparsers: _Subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="check synthesized stacks, plans or snapshots against the policies",
        description="Without --input: synthesize the cdktf app of the working directory (cdktf.json), plan its "
        "stacks and check them with OPA and checkov. With --input: check only the given files (cdk.tf.json, "
        "`terraform show -json` plan, HCP Terraform policy input, or IAM snapshot; detected from content).",
    )
    _add_config(parser)
    parser.add_argument("--input", metavar="FILE", action="extend", nargs="+", help="check only these files")
    _add_app_options(parser)
    parser.add_argument("--no-checkov", action="store_true", help="evaluate with OPA only (the report says so)")
    parser.add_argument(
        "--no-cache", action="store_true",
        help="plan and evaluate everything again (default: reuse .eksiam/cache/ entries of identical inputs)",
    )
    _add_report_options(parser)
    parser.set_defaults(func=_check)


def _add_verify(subparsers: _Subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="check the roles in the live AWS account (AWS_ENDPOINT_URL, AWS_REGION, credentials chain)",
    )
    _add_config(parser)
    parser.add_argument("--snapshot", metavar="FILE", help="also save the IAM snapshot that was checked to FILE")
    _add_report_options(parser)
    parser.set_defaults(func=_verify)


def _synth(args: argparse.Namespace) -> int:
    from eksiam.config import load_config
    from eksiam.gate.cdktf_app import CdktfProject, synthesize
    from eksiam.gate.pipeline import display_path

    load_config(args.config)  # a bad configuration stops here, before the app runs
    project = CdktfProject.find(Path.cwd(), app=args.app, output=args.out)
    result = synthesize(project, stacks=args.stack, config_path=args.config)
    for stack_file in result.stack_files:
        print(f"synthesized {display_path(stack_file)}")
    return EXIT_PASSED


def _check(args: argparse.Namespace) -> int:
    from eksiam.gate.pipeline import run_check

    request = _request(args)
    report = run_check(request)
    return _emit(report, args)


def _verify(args: argparse.Namespace) -> int:
    from eksiam.gate.pipeline import run_verify

    request = _request(args)
    report = run_verify(request, snapshot_file=args.snapshot)
    return _emit(report, args)


def _request(args: argparse.Namespace) -> CheckRequest:
    """The run's request, with every report option and output path checked before any work starts."""
    from eksiam.gate.pipeline import CheckRequest
    from eksiam.gate.report import check_writable, parse_report_option

    copies = [parse_report_option(option) for option in args.report]
    if args.output:
        check_writable(args.output)
    for fmt, file in copies:
        check_writable(file, f"the {fmt} report")
    if getattr(args, "snapshot", None):
        check_writable(args.snapshot, "the snapshot")
    return CheckRequest.from_args(args)


def _emit(report: Report, args: argparse.Namespace) -> int:
    from eksiam.gate.report import write_reports

    write_reports(report, args.format, args.output, args.report)
    if report.tool_errors:
        # The report shows what could be evaluated; the gate still fails closed.
        engine, file, message = report.tool_errors[0]
        more = f" (and {len(report.tool_errors) - 1} more input(s))" if len(report.tool_errors) > 1 else ""
        raise ToolError(f"{engine} could not evaluate {file}{more}: {message}")
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
    parser.add_argument("--debug", action="store_true", help="show tracebacks (anywhere on the command line)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_synth(subparsers)
    _add_check(subparsers)
    _add_verify(subparsers)
    return parser


class _Terminated(BaseException):
    """SIGTERM arrived: unwind the run like an interrupt (temporary directories removed)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _signals_end_the_run() -> Iterator[None]:
    """SIGTERM and SIGINT end every tool's process group, then unwind the run once.

    Tools run in process groups of their own (a terminal's Ctrl-C does not reach them), so
    the gate ends them itself; a second signal while the run unwinds only repeats that.
    """
    from eksiam.gate import processes

    processes.reset()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    unwinding = False

    def handler(signum: int, frame: object) -> None:
        nonlocal unwinding
        processes.terminate_all()
        if unwinding:
            return
        unwinding = True
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise _Terminated(signum)

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
        processes.reset()


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        with _signals_end_the_run():
            # --debug is global, but users put it after the subcommand too.
            args = build_parser().parse_args([arg for arg in argv if arg != "--debug"])
            code: int = args.func(args)
            return code
    except EksiamError as error:
        if debug:
            traceback.print_exc()
        print(f"eksiam: error: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:  # a file-system fault no step named: still one line, never a traceback
        if debug:
            traceback.print_exc()
        where = f"{error.filename}: " if error.filename else ""
        print(f"eksiam: error: {where}{error.strerror or error}: check the path and its permissions", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("eksiam: interrupted", file=sys.stderr)
        return 130
    except _Terminated as terminated:
        print("eksiam: terminated", file=sys.stderr)
        return 128 + terminated.signum


if __name__ == "__main__":
    sys.exit(main())
