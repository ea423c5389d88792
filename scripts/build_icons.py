"""Build static/vendor/lucide-1.62.0/icons.svg, a sprite of the Lucide icons the site uses.

Usage: npm pack lucide-static@1.62.0 && tar xzf lucide-static-1.62.0.tgz
       python scripts/build_icons.py package/icons
Add a name to ICONS and rerun to vendor one more icon; only these are shipped.
"""

import re
import sys
from pathlib import Path

ICONS = [
    "arrow-right", "book-open", "chart-column", "circle", "circle-check", "circle-dashed", "clock", "flame",
    "graduation-cap", "house", "layers", "list-checks", "log-out", "mail", "menu", "monitor", "moon", "play",
    "rotate-ccw", "settings", "shield", "shuffle", "sparkles", "sun", "target", "user", "users", "x",
]  # fmt: skip
OUT = Path(__file__).resolve().parent.parent / "static" / "vendor" / "lucide-1.62.0" / "icons.svg"


def symbol(name, source):
    body = re.search(r"<svg[^>]*>(.*)</svg>", source, re.S).group(1)
    body = " ".join(line.strip() for line in body.strip().splitlines())
    return f'<symbol id="{name}" viewBox="0 0 24 24">{body}</symbol>'


def main(icons_dir):
    symbols = [symbol(name, (Path(icons_dir) / f"{name}.svg").read_text()) for name in ICONS]
    OUT.write_text(
        "<!-- Lucide 1.62.0 (ISC licence, see LICENSE), built by scripts/build_icons.py -->\n"
        '<svg xmlns="http://www.w3.org/2000/svg">\n' + "\n".join(symbols) + "\n</svg>\n"
    )


if __name__ == "__main__":
    main(sys.argv[1])
