#!/usr/bin/python3
"""Validate JSON files against schemas/snapshot.schema.json.

Usage: validate.py SCHEMA FILE...

Prints one line per file, "valid FILE" or "invalid FILE: reason", and exits
0; exits 2 when the schema itself is broken. A file that is not strict JSON
(bad UTF-8, NaN/Infinity, truncated, trailing data) is "invalid", as it
would be for any consumer. Run with Debian's /usr/bin/python3, which has
python3-jsonschema (Draft 2020-12 with format checking for ipv4/ipv6).
"""
import json
import sys

import jsonschema
from jsonschema import Draft202012Validator


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def load(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    return json.loads(text, parse_constant=reject_constant)


def where(err):
    path = "$"
    for p in err.absolute_path:
        path += f"[{p}]" if isinstance(p, int) else f".{p}"
    return path


def short(msg, n=160):
    msg = " ".join(msg.split())
    return msg if len(msg) <= n else msg[: n - 3] + "..."


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        schema = load(argv[0])
        Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print(f"{argv[0]}: broken schema: {short(str(e))}", file=sys.stderr)
        return 2
    v = Draft202012Validator(schema,
                             format_checker=Draft202012Validator.FORMAT_CHECKER)
    for path in argv[1:]:
        try:
            doc = load(path)
        except (OSError, ValueError) as e:
            print(f"invalid {path}: not JSON: {short(str(e))}")
            continue
        except RecursionError:
            # snapnet refuses nesting deeper than 64; Python's parser
            # gives up too, just less politely
            print(f"invalid {path}: not JSON: nested too deeply")
            continue
        try:
            err = jsonschema.exceptions.best_match(v.iter_errors(doc))
        except RecursionError:
            print(f"invalid {path}: nested too deeply to validate")
            continue
        if err is None:
            print(f"valid {path}")
        else:
            print(f"invalid {path}: {where(err)}: {short(err.message)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
