"""``chainrule playground``: start the local web playground and print its URL with the access token."""

from __future__ import annotations

import errno
import secrets
import socket
import sys

__all__ = ["add_playground_parser", "run_playground"]


def add_playground_parser(commands):
    """Register the ``playground`` subcommand on ``commands`` (argparse subparsers); returns its parser."""
    p = commands.add_parser(
        "playground", help="TensorFlow Playground in your browser, run by chainrule",
        description="Start a local web app (needs pip install 'chainrule[playground]') and print its URL. "
                    "The URL carries a random token; every request must carry it.")
    p.add_argument("--port", type=int, default=8765, help="port (default: %(default)s; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument("--allow-remote", action="store_true",
                   help="required to bind an address other than 127.0.0.1 (anyone who can reach it and has the "
                        "token can train on this machine)")
    return p


def run_playground(args) -> int:
    try:
        import uvicorn
    except ImportError:
        raise ImportError("chainrule playground needs uvicorn and Starlette: "
                          "pip install 'chainrule[playground]'") from None
    from chainrule.playground.server import create_app

    if args.host not in ("127.0.0.1", "localhost") and not args.allow_remote:
        print(f"chainrule playground: error: binding {args.host} exposes the playground to the network; "
              "add --allow-remote if you mean it", file=sys.stderr)
        return 2
    host = "127.0.0.1" if args.host == "localhost" else args.host
    if not 0 <= args.port <= 65535:
        print(f"chainrule playground: error: --port must be from 0 to 65535 (0 picks a free one), got {args.port}",
              file=sys.stderr)
        return 2
    try:  # find out now whether the port is free, before printing a URL that would lead nowhere
        port = _free_port(host, args.port)
    except OSError as e:
        hint = "; pass another --port, or --port 0 for a free one" if e.errno == errno.EADDRINUSE else ""
        print(f"chainrule playground: error: cannot listen on {host}:{args.port}: {e.strerror or e}{hint}",
              file=sys.stderr)
        return 1
    public = host != "127.0.0.1"
    if public:
        print(f"WARNING: the playground listens on {host}:{port}: anyone who can reach this machine and "
              "knows the token can use it. Host checks are off.", file=sys.stderr)
    token = secrets.token_urlsafe(18)
    app = create_app(token=token, port=port, host=host, public=public)
    shown = "127.0.0.1" if host == "0.0.0.0" else host
    print(f"chainrule playground: open http://{shown}:{port}/?token={token}  (Ctrl+C stops it)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0


def _free_port(host: str, port: int) -> int:
    """Bind ``host:port`` for a moment (as uvicorn will, with SO_REUSEADDR) and return the port bound (a free
    one for 0); raises OSError when the port is taken or the address is not this machine's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host if host != "0.0.0.0" else "", port))
        return s.getsockname()[1]
