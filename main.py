"""The cdktf app: ``cdktf synth`` runs this file (see cdktf.json)."""

from stacks import load_config
from stacks.app import build_app


def main() -> None:
    build_app(load_config()).synth()


if __name__ == "__main__":
    main()
