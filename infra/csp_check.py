#!/usr/bin/env python3
"""The site's Content-Security-Policy (infra/template.yaml) allows inline
styles only by their SHA-256 hashes. The API writes some HTML pages itself
(functions/intake/src: the no-JS form shown again, status and action pages),
and their built-in look is one inline `<style>` element, which also hides
the form's honeypot field. This check finds every `<style>` element in the
intake crate's source (tests left out), hashes it as the browser will, and
fails when the template's style-src lacks a hash, printing the value to put
there. A hash in the template that matches no style any more is reported,
to be removed.

Usage: infra/csp_check.py
"""

import base64
import hashlib
import re
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
crate_src = here.parent / "functions" / "intake" / "src"
template = here / "template.yaml"

found = {}  # hash -> where
for path in sorted(crate_src.rglob("*.rs")):
    rust = path.read_text(encoding="utf-8").split("#[cfg(test)]")[0]
    # A backslash at the end of a line in a Rust string skips the line break
    # and the next line's indentation.
    joined = re.sub(r"\\\n\s*", "", rust)
    for style in re.findall(r"<style>(.*?)</style>", joined, re.S):
        # format! doubles braces; \" and \\ are escapes.
        if re.search(r"(?<!\{)\{(?!\{)[^{}]*\}(?!\})", style):
            sys.exit(f"csp_check: an inline style in {path.name} has a format placeholder, "
                     "so its hash is not fixed; move the style to the site's CSS")
        text = style.replace("{{", "{").replace("}}", "}").replace('\\"', '"').replace("\\\\", "\\")
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        found[f"'sha256-{digest}'"] = path.relative_to(here.parent).as_posix()

policy = re.search(r"ContentSecurityPolicy: (?:!Sub )?\"([^\"]*)\"", template.read_text(encoding="utf-8"))
if not policy:
    sys.exit("csp_check: no ContentSecurityPolicy found in template.yaml")
style_src = re.search(r"style-src ([^;]*)", policy.group(1))
allowed = set(style_src.group(1).split()) if style_src else set()
if "'unsafe-inline'" in allowed:
    sys.exit("csp_check: style-src must not allow 'unsafe-inline'")
missing = [(h, where) for h, where in found.items() if h not in allowed]
for h in sorted(a for a in allowed if a.startswith("'sha256-") and a not in found):
    print(f"csp_check: note: {h} in style-src matches no inline style any more; remove it")
for h, where in missing:
    print(f"csp_check: the inline style in {where} is not allowed: add {h} to style-src in template.yaml")
if missing:
    sys.exit(1)
for h, where in found.items():
    print(f"csp_check: style-src allows the inline style in {where} ({h})")
print("csp_check: no other inline style is allowed")
