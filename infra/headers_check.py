#!/usr/bin/env python3
"""The security headers CloudFront adds (infra/template.yaml, the response
headers policy) must be the set the code sends itself
(functions/intake/src/headers.rs) — in production its Content-Security-Policy
also lets pages connect and post forms to the evidence bucket's regional origin, the
code's EVIDENCE_ORIGIN filled in with the stack's bucket and region, and to
nothing else — and the HTTP API must be reachable only
through CloudFront: its default execute-api endpoint disabled, no output
or origin naming an execute-api address, and every cache behaviour using
the policy. Prints each difference and exits 1 when there is one.

Usage: infra/headers_check.py [--self-test]
"""

import re
import sys
from pathlib import Path

import yaml

here = Path(__file__).resolve().parent
code = here.parent / "functions" / "intake" / "src" / "headers.rs"
template_path = here / "template.yaml"


class Loader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


Loader.add_multi_constructor("!", _tag)


def code_values(text):
    return dict(re.findall(r'pub const ([A-Z_]+): &str = "((?:[^"\\]|\\.)*)";', text))


def problems(template_text, code_text):
    out = []
    consts = code_values(code_text)
    for name in ["CONTENT_SECURITY_POLICY", "EVIDENCE_ORIGIN", "STRICT_TRANSPORT_SECURITY", "REFERRER_POLICY",
                 "FRAME_OPTIONS", "CONTENT_TYPE_OPTIONS"]:
        if name not in consts:
            out.append(f"headers.rs has no {name}")
    if out:
        return out
    t = yaml.load(template_text, Loader=Loader)
    res = t.get("Resources", {})
    policies = [r for r in res.values() if r.get("Type") == "AWS::CloudFront::ResponseHeadersPolicy"]
    if len(policies) != 1:
        return [f"want one ResponseHeadersPolicy, found {len(policies)}"]
    sec = policies[0]["Properties"]["ResponseHeadersPolicyConfig"].get("SecurityHeadersConfig", {})
    csp = sec.get("ContentSecurityPolicy", {}).get("ContentSecurityPolicy")
    # The template names the bucket by reference (!Sub), as the code's
    # content_security_policy_with does by value.
    buckets = [n for n, r in res.items() if r.get("Type") == "AWS::S3::Bucket" and "Evidence" in n]
    if len(buckets) != 1:
        out.append(f"want one evidence bucket (AWS::S3::Bucket named *Evidence*), found {buckets}")
    else:
        origin = consts["EVIDENCE_ORIGIN"].replace("{bucket}", "${" + buckets[0] + "}").replace("{region}", "${AWS::Region}")
        want = (consts["CONTENT_SECURITY_POLICY"]
                .replace("connect-src 'self'", f"connect-src 'self' {origin}", 1)
                .replace("form-action 'self'", f"form-action 'self' {origin}", 1))
        got = csp.get("Sub") if isinstance(csp, dict) else csp
        if got != want:
            out.append(f"Content-Security-Policy differs:\n  template: {got}\n  want:     {want}")
    hsts = sec.get("StrictTransportSecurity", {})
    want = f"max-age={hsts.get('AccessControlMaxAgeSec')}"
    if hsts.get("IncludeSubdomains"):
        want += "; includeSubDomains"
    if hsts.get("Preload"):
        want += "; preload"
    if want != consts["STRICT_TRANSPORT_SECURITY"]:
        out.append(f"Strict-Transport-Security differs: template {want!r}, code {consts['STRICT_TRANSPORT_SECURITY']!r}")
    ref = sec.get("ReferrerPolicy", {}).get("ReferrerPolicy")
    if ref != consts["REFERRER_POLICY"]:
        out.append(f"Referrer-Policy differs: template {ref!r}, code {consts['REFERRER_POLICY']!r}")
    frame = sec.get("FrameOptions", {}).get("FrameOption")
    if frame != consts["FRAME_OPTIONS"]:
        out.append(f"X-Frame-Options differs: template {frame!r}, code {consts['FRAME_OPTIONS']!r}")
    if "ContentTypeOptions" not in sec or consts["CONTENT_TYPE_OPTIONS"] != "nosniff":
        out.append("X-Content-Type-Options: nosniff is not in both")
    for name, r in res.items():
        props = r.get("Properties", {}) or {}
        if r.get("Type") in ("AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api"):
            if props.get("DisableExecuteApiEndpoint") is not True:
                out.append(f"{name}: DisableExecuteApiEndpoint must be true (only CloudFront may reach the API)")
        if r.get("Type") == "AWS::CloudFront::Distribution":
            dist = props.get("DistributionConfig", {})
            behaviours = [dist.get("DefaultCacheBehavior", {})] + dist.get("CacheBehaviors", [])
            for b in behaviours:
                if "ResponseHeadersPolicyId" not in b:
                    out.append(f"{name}: the behaviour for {b.get('PathPattern', 'default')} has no response headers policy")
            for o in dist.get("Origins", []):
                if "execute-api" in str(o.get("DomainName")):
                    out.append(f"{name}: origin {o.get('Id')} uses the execute-api address")
    for name, o in (t.get("Outputs") or {}).items():
        if "execute-api" in str(o.get("Value")):
            out.append(f"output {name} gives the execute-api address")
    return out


def self_test(template_text, code_text):
    mutations = [
        ("frame option", lambda t, c: (t.replace("FrameOption: DENY", "FrameOption: SAMEORIGIN"), c)),
        ("any bucket", lambda t, c: (t.replace("https://${EvidenceBucket}.s3.", "https://*.s3.", 1), c)),
        ("global endpoint", lambda t, c: (t.replace(".s3.${AWS::Region}.amazonaws.com;", ".s3.amazonaws.com;", 1), c)),
        ("no bucket", lambda t, c: (t.replace(" https://${EvidenceBucket}.s3.${AWS::Region}.amazonaws.com;", ";", 1), c)),
        ("csp in code", lambda t, c: (t, c.replace("frame-ancestors 'none'", "frame-ancestors *"))),
        ("hsts", lambda t, c: (t.replace("AccessControlMaxAgeSec: 63072000", "AccessControlMaxAgeSec: 60"), c)),
        ("execute-api on", lambda t, c: (t.replace("DisableExecuteApiEndpoint: true", "DisableExecuteApiEndpoint: false"), c)),
        ("execute-api output", lambda t, c: (t.replace("Outputs:\n", "Outputs:\n  Leak:\n    Value: !Sub \"https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}\"\n", 1), c)),
    ]
    ok = True
    for what, mutate in mutations:
        t, c = mutate(template_text, code_text)
        if (t, c) == (template_text, code_text):
            print(f"headers_check self-test: the mutation '{what}' changed nothing")
            ok = False
        elif not problems(t, c):
            print(f"headers_check self-test: '{what}' was not caught")
            ok = False
    if not ok:
        sys.exit(1)
    print(f"headers_check self-test: all {len(mutations)} mutations caught")


template_text = template_path.read_text(encoding="utf-8")
code_text = code.read_text(encoding="utf-8")
if "--self-test" in sys.argv:
    self_test(template_text, code_text)
    sys.exit(0)
found = problems(template_text, code_text)
for p in found:
    print(f"headers_check: {p}")
if found:
    sys.exit(1)
print("headers_check: CloudFront's security headers are the code's; the API is reachable only through CloudFront")
