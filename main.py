"""This project's cdktf app: ``cdktf synth`` and ``eksiam check`` run this file (see cdktf.json)."""

from eksiam import run_app
from stacks import build_app


def main() -> None:
    run_app(build_app)


if __name__ == "__main__":
    main()
