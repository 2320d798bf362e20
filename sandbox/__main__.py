"""`python -m sandbox [--host H] [--port N]`: serve the sandbox until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .options import SandboxOptions
from .server import serve


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--image-seconds", type=float, default=SandboxOptions.image_seconds)
    parser.add_argument("--generation-delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    options = SandboxOptions(
        data_dir=args.data_dir,
        image_seconds=args.image_seconds,
        generation_delay_seconds=args.generation_delay,
    )
    serve(args.host, args.port, options)


if __name__ == "__main__":
    main()
