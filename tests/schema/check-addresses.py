#!/usr/bin/python3
"""The schema's address and pod CIDR patterns against `snapnet validate`.

Usage: check-addresses.py SCHEMA SNAPNET

IPv6 has many text forms for one address, so the patterns that refuse
reserved ranges (unspecified, loopback, link-local, multicast,
IPv4-mapped) and pod CIDR prefix lengths are checked here against the
loader's arithmetic, one one-Node snapshot per case:
  bad       both refuse it
  good      both accept it
  semantic  the schema accepts it, snapnet refuses it (a form or an
            overlap no pattern sees; listed in examples/README.md)
The schema must never refuse what snapnet accepts. Prints one line per
disagreement and "N passed, N failed"; exits 1 on any failure.
"""
import json
import os
import subprocess
import sys
import tempfile

from jsonschema import Draft202012Validator

IPS = {
    "bad": ["0.0.0.0", "0.1.2.3", "127.0.0.1", "169.254.10.1", "224.0.0.1",
            "239.255.255.255", "::", "0:0:0:0:0:0:0:0", "::0.0.0.0", "::1",
            "0::1", "::0:1", "::01", "::0.0.0.1", "0:0:0:0:0:0:0.0.0.1",
            "::ffff:10.0.0.1", "::FFFF:a00:1", "::ffff:1:2",
            "0:0:0:0:0:FFFF:0102:0304", "::ffff:ffff:ffff", "fe80::1",
            "febf:ffff::1", "FE80::1", "ff02::1", "ff00::"],
    "good": ["1.0.0.1", "10.0.0.1", "126.255.255.255", "128.0.0.1",
             "169.253.255.255", "169.255.0.1", "223.255.255.255",
             "240.0.0.1", "::2", "::10", "::100:1", "::1.2.3.4",
             "::fffe:a00:1", "::ffff:1:2:3", "0:0:0:0:ffff::1", "0001::",
             "ff::1", "fe7f::1", "fec0::1", "fe00::1", "2001:db8::1",
             "fd00:10::1"],
    "semantic": ["0:0:0:0:0:ffff::"],
}
CIDRS = {
    "bad": ["0.0.0.0/0", "10.0.0.0/7", "10.0.0.0/31", "10.0.0.1/32",
            "0.0.0.0/8", "127.0.0.0/16", "169.254.0.0/16", "169.254.3.0/24",
            "169.0.0.0/8", "169.128.0.0/9", "169.192.0.0/10",
            "169.224.0.0/11", "169.240.0.0/12", "169.248.0.0/13",
            "169.252.0.0/14", "169.254.0.0/15", "224.0.0.0/8",
            "239.0.0.0/8", "::/0", "fd00::/31", "fd00::/127",
            "fd00::1/128", "::/32", "0:0:0:0:0:0:0:0/64", "::0.0.0.0/96",
            "::ffff:0:0/96", "::ffff:10.0.0.0/104", "::ffff:1:0/112",
            "fe80::/64", "fe80:1::/32", "ff00::/32"],
    "good": ["10.0.0.0/8", "10.0.0.4/30", "1.0.0.0/8", "126.0.0.0/8",
             "128.0.0.0/8", "169.0.0.0/9", "169.250.0.0/15",
             "169.255.0.0/16", "223.0.0.0/8", "fd00::/32", "fd00::4/126",
             "100::/64", "0:0:0:1::/64", "::ffff:0:0:0/80", "fec0::/32",
             "fe00::/32", "fe40::/32", "ff::/32"],
    "semantic": ["::8000:0:0/81", "::fff0:0:0/92", "0:0:0:0:0:ffff::/96"],
}


def node(ip=None, cidr=None):
    n = {"kind": "Node", "metadata": {"name": "a"}}
    if ip is not None:
        n["status"] = {"addresses": [{"type": "InternalIP", "address": ip}]}
    if cidr is not None:
        n["spec"] = {"podCIDRs": [cidr]}
    return {"kind": "List", "items": [n]}


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        v = Draft202012Validator(
            json.load(f), format_checker=Draft202012Validator.FORMAT_CHECKER)
    cases = [(w, "InternalIP " + a, node(ip=a))
             for w, l in IPS.items() for a in l]
    cases += [(w, "pod CIDR " + c, node(cidr=c))
              for w, l in CIDRS.items() for c in l]
    passed = failed = 0
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        for want, what, doc in cases:
            with open(path, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            s_ok = v.is_valid(doc)
            r = subprocess.run([argv[1], "validate", path],
                               capture_output=True, text=True, check=False)
            n_ok = r.returncode == 0
            got = {(False, False): "bad", (True, True): "good",
                   (True, False): "semantic"}.get((s_ok, n_ok),
                                                  "schema-only")
            if got == want:
                passed += 1
                continue
            failed += 1
            print(f"FAIL {what}: want {want}, got {got} "
                  f"(snapnet: {r.stderr.strip() or 'valid'})")
    finally:
        os.unlink(path)
    print(f"addresses: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
