"""``run_app``: the body of a cdktf app's ``main.py`` that builds its stacks from eksiam.toml."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from eksiam.config import Config, load_config
from eksiam.errors import EksiamError
from eksiam.metadata import track_sources

if TYPE_CHECKING:
    from eksiam.cdk import App


def run_app(build_app: Callable[[Config], App]) -> None:
    """Load the configuration (``$EKSIAM_CONFIG`` or ``eksiam.toml``), build the app, synthesize.

    A bad configuration is one line on stderr and exit 2, as from the ``eksiam`` command, and
    nothing is written.
    """
    try:
        config = load_config()
    except EksiamError as error:
        _fail(error)
    track_sources()
    build_app(config).synth()


def _fail(error: EksiamError) -> NoReturn:
    print(f"eksiam: error: {error}", file=sys.stderr)
    sys.exit(error.exit_code)
