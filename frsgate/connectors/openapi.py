"""The OpenAPI document of the connector protocol, generated from the sandbox FRS app.

`python -m frsgate.connectors.openapi docs/connector-openapi.json` rewrites the committed copy;
a test fails when the committed copy and the app disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def protocol_openapi() -> dict[str, Any]:
    from frsgate.connectors.sandbox import create_sandbox_app

    return create_sandbox_app().openapi()


def render() -> str:
    return json.dumps(protocol_openapi(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
