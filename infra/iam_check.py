#!/usr/bin/env python3
"""Least privilege, checked: the IAM actions each function's role grants in
infra/template.yaml must be exactly the AWS calls its code makes.

For every AWS::Serverless::Function in the template:
1. its crate is the folder in CodeUri; the crates it is built from are that
   crate and its path dependencies, recursively ([dependencies] only, not
   dev- or build-dependencies), with Cargo's features worked out from the
   function crate's defaults, so an adapter behind a feature that is off
   (or a test-only feature) is not counted;
2. the source compiled into the function is followed from src/lib.rs and
   the function's binary through `mod` declarations, leaving out what
   `#[cfg(test)]` or a disabled `#[cfg(feature = ...)]` removes, and
   comments and string literals;
3. every AWS SDK operation called on a client (`.put_item()`,
   `.send_email()`, ...: the SDK's fluent builders take no arguments) of a
   service whose SDK crate those crates depend on is mapped to its IAM
   action. A call counts when its file names the SDK crate (`aws_sdk_...`)
   or when its chain ends in `.send()`, so `uri.query()` is not a Query. A DynamoDB transaction needs the actions of what it writes (the
   `Put`/`Update`/`Delete`/`ConditionCheck` items the code builds), and a
   Query on an index needs a grant on the index's ARN;
4. those actions, plus the few the Lambda service itself needs (PLATFORM),
   are compared with the role's Allow statements. Any difference, in either
   direction, is printed and the exit status is 1.

Calls in code that never runs in production are left out through
EXCLUDED_CALLS, each with its reason. `--self-test` runs the checker on
small fixtures (and on mutated copies of the real template) and asserts it
fails where it must.

Usage: infra/iam_check.py [--template PATH] [--self-test]
Needs Python 3.11+ (tomllib) and PyYAML.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ImportError:  # pragma: no cover
    sys.exit("iam_check.py needs Python 3.11 or newer (tomllib)")
try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("iam_check.py needs PyYAML: python3 -m pip install pyyaml")

# ---------------------------------------------------------------- policy

# Calls that are in production crates but never run in production. Each
# entry: (path relative to the repository, enclosing fn, operation, reason).
EXCLUDED_CALLS = [
    ("functions/casestore/src/dynamodb/schema.rs", "create_table", "create_table",
     "DynamoStore::create_table sets up tables for tests and local use; "
     "production declares the table in infra/template.yaml"),
    ("functions/casestore/src/dynamodb/schema.rs", "create_table", "describe_table",
     "waits for the table made by create_table (tests and local use only)"),
    ("functions/casestore/src/dynamodb/schema.rs", "create_table", "update_time_to_live",
     "turns on TTL for the table made by create_table; production sets TTL in the template"),
]

# Granted to every function role although no code calls them: the Lambda
# service writes the function's output to its log group with the role.
PLATFORM = {
    "logs:CreateLogStream": "Lambda creates the function's log streams with its role",
    "logs:PutLogEvents": "Lambda writes the function's stdout/stderr with its role",
}

# SDK crate -> (IAM prefix, operations as the Rust SDK names them). The
# DynamoDB and SESv2 lists are every operation of those crates; add a crate
# here before using it (the checker refuses SDK crates it does not know).
SDK_SERVICES = {
    "aws-sdk-dynamodb": ("dynamodb", """
        batch_execute_statement batch_get_item batch_write_item create_backup
        create_global_table create_table delete_backup delete_item
        delete_resource_policy delete_table describe_backup
        describe_continuous_backups describe_contributor_insights
        describe_endpoints describe_export describe_global_table
        describe_global_table_settings describe_import
        describe_kinesis_streaming_destination describe_limits describe_table
        describe_table_replica_auto_scaling describe_time_to_live
        disable_kinesis_streaming_destination enable_kinesis_streaming_destination
        execute_statement execute_transaction export_table_to_point_in_time
        get_item get_resource_policy import_table list_backups
        list_contributor_insights list_exports list_global_tables list_imports
        list_tables list_tags_of_resource put_item put_resource_policy query
        restore_table_from_backup restore_table_to_point_in_time scan
        tag_resource transact_get_items transact_write_items untag_resource
        update_continuous_backups update_contributor_insights
        update_global_table update_global_table_settings update_item
        update_kinesis_streaming_destination update_table
        update_table_replica_auto_scaling update_time_to_live"""),
    "aws-sdk-sesv2": ("ses", """
        batch_get_metric_data cancel_export_job create_configuration_set
        create_configuration_set_event_destination create_contact
        create_contact_list create_custom_verification_email_template
        create_dedicated_ip_pool create_deliverability_test_report
        create_email_identity create_email_identity_policy create_email_template
        create_export_job create_import_job create_multi_region_endpoint
        create_tenant create_tenant_resource_association delete_configuration_set
        delete_configuration_set_event_destination delete_contact
        delete_contact_list delete_custom_verification_email_template
        delete_dedicated_ip_pool delete_email_identity delete_email_identity_policy
        delete_email_template delete_multi_region_endpoint
        delete_suppressed_destination delete_tenant
        delete_tenant_resource_association get_account get_blacklist_reports
        get_configuration_set get_configuration_set_event_destinations get_contact
        get_contact_list get_custom_verification_email_template get_dedicated_ip
        get_dedicated_ip_pool get_dedicated_ips get_deliverability_dashboard_options
        get_deliverability_test_report get_domain_deliverability_campaign
        get_domain_statistics_report get_email_address_insights get_email_identity
        get_email_identity_policies get_email_template get_export_job
        get_import_job get_message_insights get_multi_region_endpoint
        get_reputation_entity get_suppressed_destination get_tenant
        list_configuration_sets list_contact_lists list_contacts
        list_custom_verification_email_templates list_dedicated_ip_pools
        list_deliverability_test_reports list_domain_deliverability_campaigns
        list_email_identities list_email_templates list_export_jobs
        list_import_jobs list_multi_region_endpoints list_recommendations
        list_reputation_entities list_resource_tenants list_suppressed_destinations
        list_tags_for_resource list_tenant_resources list_tenants
        put_account_dedicated_ip_warmup_attributes put_account_details
        put_account_sending_attributes put_account_suppression_attributes
        put_account_vdm_attributes put_configuration_set_archiving_options
        put_configuration_set_delivery_options
        put_configuration_set_reputation_options
        put_configuration_set_sending_options
        put_configuration_set_suppression_options
        put_configuration_set_tracking_options put_configuration_set_vdm_options
        put_dedicated_ip_in_pool put_dedicated_ip_pool_scaling_attributes
        put_dedicated_ip_warmup_attributes put_deliverability_dashboard_option
        put_email_identity_configuration_set_attributes
        put_email_identity_dkim_attributes put_email_identity_dkim_signing_attributes
        put_email_identity_feedback_attributes put_email_identity_mail_from_attributes
        put_suppressed_destination send_bulk_email send_custom_verification_email
        send_email tag_resource test_render_email_template untag_resource
        update_configuration_set_event_destination update_contact
        update_contact_list update_custom_verification_email_template
        update_email_identity_policy update_email_template
        update_reputation_entity_customer_managed_status
        update_reputation_entity_policy"""),
    # For the rest, only the calls a function here might plausibly make:
    # fetching a secret at start-up, reading the site's files, a metric.
    "aws-sdk-ssm": ("ssm", "get_parameter get_parameters get_parameters_by_path"),
    "aws-sdk-secretsmanager": ("secretsmanager",
                               "get_secret_value batch_get_secret_value describe_secret"),
    "aws-sdk-s3": ("s3", "get_object head_object list_objects_v2 put_object delete_object"),
    "aws-sdk-cloudwatch": ("cloudwatch", "put_metric_data"),
    # End User Messaging SMS: sending, and the look-ups a sender might make.
    "aws-sdk-pinpointsmsvoicev2": ("sms-voice", """
        send_text_message describe_opted_out_numbers describe_sender_ids
        describe_configuration_sets describe_spend_limits"""),
}

# Operations whose IAM actions are not their own name.
SPECIAL_ACTIONS = {
    ("dynamodb", "transact_write_items"): [],  # the items' actions, found separately
    ("dynamodb", "transact_get_items"): ["dynamodb:GetItem"],
    ("s3", "head_object"): ["s3:GetObject"],
    ("s3", "list_objects_v2"): ["s3:ListBucket"],
}
# A GetObject of a missing key is answered 403 instead of 404 unless the
# role may also list the bucket; code that tells "missing" apart
# (`is_no_such_key`) needs s3:ListBucket with its s3:GetObject.
S3_MISSING_KEY = re.compile(r"\bis_no_such_key\s*\(")
# Requests the code signs by hand rather than sends through an SDK: the
# presigned POSTs and GETs of office::upload_grant act with the signer's
# rights, so calling them needs the action they sign for. Only calls
# qualified by the module count (its own body and tests do not).
SIGNED_REQUESTS = {
    "upload_grants": "s3:PutObject",
    "grant_for_key": "s3:PutObject",
    "presigned_get": "s3:GetObject",
}
SIGNED_CALL = re.compile(r"\bupload_grant\s*::\s*(" + "|".join(SIGNED_REQUESTS) + r")\s*\(")
UNSUPPORTED = {
    ("dynamodb", "execute_statement"), ("dynamodb", "batch_execute_statement"),
    ("dynamodb", "execute_transaction"),
}
# SESv2 SendEmail is authorised by what it sends: raw content is checked as
# ses:SendRawEmail (as users of several SDKs have found; AWS CDK grants both
# for "send email"), so a raw send gets both actions, and a templated one
# ses:SendTemplatedEmail as well.
SES_CONTENT_ACTIONS = {
    "raw": ["ses:SendEmail", "ses:SendRawEmail"],
    "simple": ["ses:SendEmail"],
    "template": ["ses:SendEmail", "ses:SendTemplatedEmail"],
}
# DynamoDB transaction items (aws_sdk_dynamodb::types) and their actions.
TRANSACTION_ITEMS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


SDK_MODULE = {prefix: crate.replace("-", "_") for crate, (prefix, _) in SDK_SERVICES.items()}


def chain_sends(masked: str, start: int) -> bool:
    """Whether the method chain going on at `start` reaches `.send(`
    before its statement or argument ends."""
    depth, k = 0, start
    while k < len(masked):
        ch = masked[k]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch in ";," and depth == 0:
            break
        elif ch == "." and depth == 0 and re.match(r"\.\s*send\s*\(", masked[k:k + 40]):
            return True
        k += 1
    return False


def pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


# ------------------------------------------------------------ Rust source

def mask_rust(src: str) -> tuple[str, str]:
    """Returns (without comments, without comments and string contents),
    both the length of `src` with newlines kept, so offsets agree."""
    nocom = list(src)
    masked = list(src)
    i, n = 0, len(src)

    def blank(a: int, b: int, both: bool) -> None:
        for k in range(a, b):
            if src[k] != "\n":
                masked[k] = " "
                if both:
                    nocom[k] = " "

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            blank(i, j, True)
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j, True)
            i = j
        elif (m := re.match(r'b?r(#*)"', src[i:i + 260])) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            close = '"' + m.group(1)
            start = i + m.end()
            j = src.find(close, start)
            j = n if j < 0 else j
            blank(start, j, False)
            i = j + len(close)
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            blank(i + 1, j, False)
            i = j + 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if i + 1 < n and src[i + 1] == "\\":
                j = src.find("'", i + 2)
                blank(i + 1, j, False)
                i = j + 1
            elif i + 2 < n and src[i + 2] == "'":
                blank(i + 1, i + 2, False)
                i += 3
            else:
                i += 1
        else:
            i += 1
    return "".join(nocom), "".join(masked)


def matching(text: str, open_at: int) -> int:
    """Index just past the bracket that closes the one at `open_at`."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    stack = []
    for k in range(open_at, len(text)):
        ch = text[k]
        if ch in pairs:
            stack.append(pairs[ch])
        elif ch in ")]}":
            if stack and stack[-1] == ch:
                stack.pop()
                if not stack:
                    return k + 1
    return len(text)


def item_end(masked: str, start: int) -> int:
    """End of the item starting at `start`: its `;` or its closing brace."""
    depth = 0
    for k in range(start, len(masked)):
        ch = masked[k]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == ";" and depth == 0:
            return k + 1
        elif ch == "{" and depth == 0:
            return matching(masked, k)
    return len(masked)


def eval_cfg(expr: str, features: set[str]):
    """True/False for the predicates that matter here; None when unknown
    (a target or other predicate: the code is then kept)."""
    expr = expr.strip()
    if expr == "test":
        return False
    m = re.fullmatch(r'feature\s*=\s*"([^"]*)"', expr)
    if m:
        return m.group(1) in features
    m = re.fullmatch(r"(not|any|all)\s*\((.*)\)", expr, re.S)
    if m:
        parts, depth, cur = [], 0, ""
        for ch in m.group(2):
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += ch == "("
            depth -= ch == ")"
            cur += ch
        if cur.strip():
            parts.append(cur)
        vals = [eval_cfg(p, features) for p in parts]
        if m.group(1) == "not":
            return None if vals[0] is None else not vals[0]
        if m.group(1) == "any":
            return True if True in vals else (None if None in vals else False)
        return False if False in vals else (None if None in vals else True)
    return None


@dataclass
class SourceFile:
    path: Path
    masked: str  # comments, strings and compiled-out items blanked
    nocom: str
    fns: list = field(default_factory=list)  # (name, body start, body end)

    def line(self, offset: int) -> int:
        return self.masked.count("\n", 0, offset) + 1

    def enclosing_fn(self, offset: int) -> str | None:
        best = None
        for name, a, b in self.fns:
            if a <= offset < b and (best is None or a > best[1]):
                best = (name, a, b)
        return best[0] if best else None


def load_source(path: Path, features: set[str]) -> tuple[SourceFile, list[str]]:
    """The file with compiled-out items blanked, and its enabled `mod x;`."""
    src = path.read_text(encoding="utf-8")
    nocom, masked = mask_rust(src)
    masked = list(masked)
    mods: list[str] = []
    text = "".join(masked)
    for m in re.finditer(r"#\s*\[\s*cfg\s*\(", text):
        close = matching(text, m.end() - 1)
        value = eval_cfg(nocom[m.end():close - 1], features)
        end_attr = matching(text, text.index("[", m.start()))
        if value is not False:
            continue
        # Skip further attributes, then blank the item.
        k = end_attr
        while True:
            mm = re.match(r"\s*#\s*\[", text[k:])
            if not mm:
                break
            k = matching(text, k + mm.end() - 1)
        start = k + len(text[k:]) - len(text[k:].lstrip())
        end = item_end(text, start)
        for p in range(m.start(), end):
            if masked[p] != "\n":
                masked[p] = " "
    text = "".join(masked)
    for m in re.finditer(r"(?:pub(?:\s*\([^)]*\))?\s+)?\bmod\s+([A-Za-z_]\w*)\s*;", text):
        mods.append(m.group(1))
    sf = SourceFile(path, text, nocom)
    for m in re.finditer(r"\bfn\s+([A-Za-z_]\w*)", text):
        # The body is the first `{` at bracket depth 0 after the name.
        depth, k = 0, m.end()
        while k < len(text):
            ch = text[k]
            if ch in "([<":
                depth += 1
            elif ch in ")]>" and not (ch == ">" and text[k - 1] == "-"):
                depth -= 1
            elif ch == ";" and depth <= 0:
                break
            elif ch == "{" and depth <= 0:
                sf.fns.append((m.group(1), k, matching(text, k)))
                break
            k += 1
    return sf, mods


def module_files(root_file: Path, features: set[str]) -> list[SourceFile]:
    """The root file and every module file it declares, recursively."""
    out, todo, seen = [], [root_file], set()
    while todo:
        f = todo.pop()
        if f in seen or not f.exists():
            continue
        seen.add(f)
        sf, mods = load_source(f, features)
        out.append(sf)
        base = f.parent if f.name in ("lib.rs", "main.rs", "mod.rs") else f.parent / f.stem
        for name in mods:
            for cand in (base / f"{name}.rs", base / name / "mod.rs"):
                if cand.exists():
                    todo.append(cand)
                    break
    return out


# ----------------------------------------------------------------- Cargo

@dataclass
class Crate:
    name: str
    dir: Path
    manifest: dict
    deps: dict  # dependency key -> spec (dict), [dependencies] only


def read_crate(crate_dir: Path, workspace_deps: dict) -> Crate:
    manifest = tomllib.loads((crate_dir / "Cargo.toml").read_text(encoding="utf-8"))
    deps = {}
    sections = [manifest.get("dependencies", {})]
    for target in manifest.get("target", {}).values():
        sections.append(target.get("dependencies", {}))
    for section in sections:
        for key, spec in section.items():
            spec = {"version": spec} if isinstance(spec, str) else dict(spec)
            if spec.pop("workspace", False):
                base = workspace_deps.get(key, {})
                base = {"version": base} if isinstance(base, str) else dict(base)
                feats = list(base.get("features", [])) + list(spec.get("features", []))
                base.update(spec)
                base["features"] = feats
                spec = base
            deps[key] = spec
    return Crate(manifest["package"]["name"], crate_dir, manifest, deps)


def find_workspace(start: Path) -> tuple[Path, dict]:
    for d in [start, *start.parents]:
        manifest = d / "Cargo.toml"
        if manifest.exists():
            data = tomllib.loads(manifest.read_text(encoding="utf-8"))
            if "workspace" in data:
                return d, data["workspace"].get("dependencies", {})
    return start, {}


def resolve(function_dir: Path):
    """The local crates a function is built from, each with its enabled
    features, and the external crates they pull in (by crate name)."""
    ws_root, ws_deps = find_workspace(function_dir)
    # Workspace paths are relative to the workspace root.
    for spec in ws_deps.values():
        if isinstance(spec, dict) and "path" in spec:
            spec["path"] = str((ws_root / spec["path"]).resolve())
    crates: dict[Path, Crate] = {}
    features: dict[Path, set[str]] = {}
    active: dict[Path, set[str]] = {}  # enabled optional dependencies
    external: set[str] = set()

    def crate_at(d: Path) -> Crate:
        d = d.resolve()
        if d not in crates:
            crates[d] = read_crate(d, ws_deps)
            features[d] = set()
            active[d] = set()
        return crates[d]

    def dep_dir(c: Crate, spec: dict) -> Path | None:
        if "path" not in spec:
            return None
        return (c.dir / spec["path"]).resolve()

    root = crate_at(function_dir)
    pending = [(root.dir, "default")]
    changed = True
    while changed:
        changed = False
        while pending:
            d, feat = pending.pop()
            c = crates[d]
            if feat in features[d]:
                continue
            defined = c.manifest.get("features", {})
            if feat != "default" and feat not in defined and feat in c.deps:
                active[d].add(feat)  # the implicit feature of an optional dependency
                features[d].add(feat)
                changed = True
                continue
            features[d].add(feat)
            changed = True
            for entry in defined.get(feat, []):
                if entry.startswith("dep:"):
                    active[d].add(entry[4:])
                elif "/" in entry:
                    dep, sub = entry.split("/", 1)
                    weak = dep.endswith("?")
                    dep = dep.rstrip("?")
                    if not weak:
                        active[d].add(dep)
                    spec = c.deps.get(dep)
                    if spec is not None:
                        spec.setdefault("_extra", set()).add(sub)
                else:
                    pending.append((d, entry))
        for d in list(crates):
            c = crates[d]
            for key, spec in c.deps.items():
                if spec.get("optional") and key not in active[d]:
                    continue
                target = dep_dir(c, spec)
                pkg = spec.get("package", key)
                if target is None:
                    external.add(pkg)
                    continue
                dc = crate_at(target)
                wanted = set(spec.get("features", [])) | set(spec.get("_extra", set()))
                if spec.get("default-features", True):
                    wanted.add("default")
                for f in wanted:
                    if f not in features[dc.dir]:
                        pending.append((dc.dir, f))
                        changed = True
    return root, crates, features, external


# --------------------------------------------------------------- template

class CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    name = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"
    if name == "Fn::GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {name: value}


CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=CfnLoader)


def as_list(v):
    return v if isinstance(v, list) else [v]


def flatten_resources(res) -> list:
    """Resource values with Fn::If branches expanded."""
    out = []
    for r in as_list(res):
        if isinstance(r, dict) and "Fn::If" in r:
            out.extend(flatten_resources(r["Fn::If"][1]))
            out.extend(flatten_resources(r["Fn::If"][2]))
        else:
            out.append(r)
    return out


def role_grants(template: dict, role_id: str) -> tuple[dict, list[str]]:
    """Action -> list of resources granted to the role; and problems."""
    resources = template.get("Resources", {})
    role = resources.get(role_id)
    problems = []
    if not role or role.get("Type") != "AWS::IAM::Role":
        return {}, [f"role {role_id} is not an AWS::IAM::Role in the template"]
    props = role.get("Properties", {})
    if props.get("ManagedPolicyArns"):
        problems.append(f"{role_id} has ManagedPolicyArns: their actions cannot be checked; "
                        "write the statements inline")
    docs = [p.get("PolicyDocument", {}) for p in props.get("Policies", [])]
    for rid, r in resources.items():
        if r.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            roles = r.get("Properties", {}).get("Roles", [])
            if {"Ref": role_id} in roles:
                docs.append(r["Properties"].get("PolicyDocument", {}))
    grants: dict[str, list] = {}
    for doc in docs:
        for st in as_list(doc.get("Statement", [])):
            if st.get("Effect") != "Allow":
                continue
            if "NotAction" in st or "NotResource" in st:
                problems.append(f"{role_id}: NotAction/NotResource cannot be checked")
                continue
            res = flatten_resources(st.get("Resource", []))
            if "*" in res:
                problems.append(f"{role_id}: statement {st.get('Sid', '?')} grants on Resource '*'")
            for a in as_list(st.get("Action", [])):
                if not isinstance(a, str) or "*" in a:
                    problems.append(f"{role_id}: wildcard or computed action {a!r} cannot be checked")
                    continue
                grants.setdefault(a, []).extend(res)
    return grants, problems


def mentions_index(resources: list) -> bool:
    return any("/index/" in str(r) for r in resources)


# ----------------------------------------------------------------- check

@dataclass
class Call:
    action: str
    where: str


def code_actions(function_dir: Path, binary: str | None, repo: Path, excluded=None):
    """The IAM actions the function's code calls, with where each is called;
    problems (unknown SDKs, unmappable calls); and whether a Query on an
    index is made."""
    excluded = EXCLUDED_CALLS if excluded is None else excluded
    root, crates, features, external = resolve(function_dir)
    problems = []
    services = {}
    for ext in sorted(external):
        if ext.startswith("aws-sdk-"):
            if ext not in SDK_SERVICES:
                problems.append(f"{ext} is used but iam_check.py does not know its operations: "
                                "add it to SDK_SERVICES")
                continue
            prefix, ops = SDK_SERVICES[ext]
            for op in ops.split():
                services[op] = services.get(op, []) + [prefix]
    calls: list[Call] = []
    used_excludes = set()
    index_query = False
    transaction_at = []
    items_found: dict[str, str] = {}
    for d, crate in crates.items():
        roots = [d / "src" / "lib.rs"]
        if d == root.dir:
            name = binary or crate.name
            bins = crate.manifest.get("bin", [])
            path = next((b.get("path") for b in bins if b.get("name") == name), None)
            candidates = [d / path] if path else [
                d / "src" / "main.rs", d / "src" / "bin" / f"{name}.rs", d / "src" / "bin" / name / "main.rs"]
            found = next((c for c in candidates if c.exists()), None)
            if found is None:
                problems.append(f"cannot find the source of the binary {name} in {d.name}")
            else:
                roots.append(found)
        files = []
        for r in roots:
            files.extend(module_files(r, features[d]))
        for sf in files:
            try:
                rel = sf.path.resolve().relative_to(repo.resolve()).as_posix()
            except ValueError:
                rel = sf.path.as_posix()
            for m in re.finditer(r"\.\s*([a-z_][a-z0-9_]*)\s*\(\s*\)", sf.masked):
                op = m.group(1)
                if op not in services:
                    continue
                fn = sf.enclosing_fn(m.start())
                prefixes = [p for p in services[op]
                            if re.search(r"\b" + SDK_MODULE[p] + r"\b", sf.masked)
                            or chain_sends(sf.masked, m.end())]
                if not prefixes:
                    continue
                skip = next((e for e in excluded if e[0] == rel and e[1] == fn and e[2] == op), None)
                where = f"{rel}:{sf.line(m.start())} ({fn or 'top level'}: .{op}())"
                if skip:
                    used_excludes.add(skip[:3])
                    continue
                for prefix in prefixes:
                    key = (prefix, op)
                    if key in UNSUPPORTED:
                        problems.append(f"{where}: {prefix} {op} has no simple IAM action; "
                                        "map it in iam_check.py before using it")
                        continue
                    if key == ("dynamodb", "transact_write_items"):
                        transaction_at.append(where)
                    actions = SPECIAL_ACTIONS.get(key, [f"{prefix}:{pascal(op)}"])
                    if key == ("ses", "send_email"):
                        kinds = set(re.findall(r"\.\s*(raw|simple|template)\s*\(", sf.masked))
                        if not kinds:
                            problems.append(f"{where}: cannot tell what content the mail has "
                                            "(raw, simple or template)")
                        actions = sorted({a for k in kinds for a in SES_CONTENT_ACTIONS[k]})
                    if key == ("s3", "get_object") and S3_MISSING_KEY.search(sf.masked):
                        actions = actions + ["s3:ListBucket"]
                    for action in actions:
                        calls.append(Call(action, where))
                    if key == ("dynamodb", "query") and re.search(r"\.\s*index_name\s*\(", sf.masked):
                        index_query = True
            for m in SIGNED_CALL.finditer(sf.masked):
                fn = sf.enclosing_fn(m.start())
                where = f"{rel}:{sf.line(m.start())} ({fn or 'top level'}: signs {m.group(1)})"
                calls.append(Call(SIGNED_REQUESTS[m.group(1)], where))
            if "dynamodb" in sf.masked and re.search(r"\baws_sdk_dynamodb\b", sf.masked):
                for m in re.finditer(r"\b(Put|Update|Delete|ConditionCheck)\s*::\s*builder\s*\(", sf.masked):
                    fn = sf.enclosing_fn(m.start())
                    if any(e[0] == rel and e[1] == fn for e in excluded):
                        continue
                    items_found.setdefault(TRANSACTION_ITEMS[m.group(1)],
                                           f"{rel}:{sf.line(m.start())} (transaction item {m.group(1)})")
    if transaction_at:
        if not items_found:
            problems.append(f"{transaction_at[0]}: a transaction whose items could not be found")
        for action, where in items_found.items():
            calls.append(Call(action, where))
    return calls, problems, index_query, used_excludes


def check(template_path: Path, repo: Path, excluded=None, out=print) -> bool:
    template = load_template(template_path)
    ok = True
    functions = {k: v for k, v in template.get("Resources", {}).items()
                 if v.get("Type") == "AWS::Serverless::Function"}
    if not functions:
        out("error: no AWS::Serverless::Function in the template")
        return False
    all_used = set()
    for fid, fn in sorted(functions.items()):
        props = fn.get("Properties", {})
        code_uri = props.get("CodeUri")
        crate_dir = (template_path.parent / code_uri).resolve() if isinstance(code_uri, str) else None
        role = props.get("Role")
        binary = fn.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        role_name = role["Fn::GetAtt"][0] if isinstance(role, dict) and "Fn::GetAtt" in role else role
        out(f"{fid}: crate {code_uri}, role {role_name}")
        if "Policies" in props:
            out(f"  FAIL: {fid} uses SAM Policies; give it an explicit Role so its grants can be checked")
            ok = False
            continue
        if not (isinstance(role, dict) and "Fn::GetAtt" in role):
            out(f"  FAIL: {fid}.Role must be !GetAtt <Role>.Arn of a role in this template")
            ok = False
            continue
        role_id = role["Fn::GetAtt"][0]
        if crate_dir is None or not (crate_dir / "Cargo.toml").exists():
            out(f"  WARNING: {code_uri} has no Cargo.toml yet: nothing to compare {role_id} with "
                "(this function cannot be built either)")
            continue
        calls, problems, index_query, used = code_actions(crate_dir, binary, repo, excluded)
        all_used |= used
        grants, role_problems = role_grants(template, role_id)
        problems += role_problems
        needed: dict[str, list[str]] = {}
        for c in calls:
            needed.setdefault(c.action, []).append(c.where)
        for a, why in PLATFORM.items():
            needed.setdefault(a, []).append(f"platform: {why}")
        missing = sorted(set(needed) - set(grants))
        extra = sorted(set(grants) - set(needed))
        for a in sorted(needed):
            status = "ok" if a in grants else "MISSING"
            out(f"  {status:7} {a:32} {needed[a][0]}" + (f" (+{len(needed[a]) - 1} more)" if len(needed[a]) > 1 else ""))
        for a in extra:
            out(f"  EXTRA   {a:32} granted to {role_id}, but no code of {fid} calls it")
        if index_query and "dynamodb:Query" in grants and not mentions_index(grants["dynamodb:Query"]):
            problems.append(f"{role_id}: the code queries an index, but dynamodb:Query is not granted on an index ARN (TABLE/index/NAME)")
        for p in problems:
            out(f"  FAIL: {p}")
        if missing or extra or problems:
            ok = False
            out(f"  => {fid}: {len(missing)} missing, {len(extra)} extra, {len(problems)} other problem(s)")
        else:
            out(f"  => {fid}: the grants match the code ({len(needed)} actions)")
    if excluded is None:
        for e in EXCLUDED_CALLS:
            if e[:3] not in all_used:
                out(f"note: the exclusion {e[0]} fn {e[1]} .{e[2]}() matched nothing; remove it if the code is gone")
    return ok


# ------------------------------------------------------------- self-test

FIXTURE_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../app
      Role: !GetAtt FnRole.Arn
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [logs:CreateLogStream, logs:PutLogEvents]
                Resource: !GetAtt Logs.Arn
              - Effect: Allow
                Action: [ACTIONS]
                Resource: !GetAtt Table.Arn
              - Effect: Allow
                Action: [dynamodb:Query]
                Resource: !Sub "${Table.Arn}/index/*"
"""

FIXTURE_FILES = {
    "Cargo.toml": '[workspace]\nmembers = ["app", "store"]\n'
                  '[workspace.dependencies]\nstore = { path = "store" }\n',
    "app/Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\n'
                      '[dependencies]\nstore = { workspace = true, default-features = false, features = ["db"] }\n'
                      '[dev-dependencies]\naws-sdk-sesv2 = "1"\n',
    "app/src/main.rs": 'fn main() { let u: http::Uri = todo!(); let _ = u.query(); }\n',
    "store/Cargo.toml": '[package]\nname = "store"\nversion = "0.1.0"\n'
                        '[features]\ndefault = ["db", "local"]\ndb = ["dep:aws-sdk-dynamodb"]\nlocal = []\n'
                        '[dependencies]\naws-sdk-dynamodb = { version = "1", optional = true }\n',
    "store/src/lib.rs": '#[cfg(feature = "db")]\npub mod db;\n#[cfg(feature = "local")]\npub mod local;\n'
                        '#[cfg(test)]\nmod tests { fn t(c: &Client) { c.scan(); } }\n',
    "store/src/db.rs": '''use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
// A comment that says c.delete_table() is not a call.
pub async fn get(c: &aws_sdk_dynamodb::Client) {
    c.get_item().table_name("t").send().await;
    let p = Put::builder().table_name("t").build();
    c.transact_write_items().send().await;
    c.query().index_name("due").send().await;
    let s = "c.batch_write_item()";
}
pub async fn create_table(c: &aws_sdk_dynamodb::Client) { c.create_table().send().await; }
''',
    # Compiled out for the function (its feature is off), so not counted.
    "store/src/local.rs": 'pub fn wipe(c: &aws_sdk_dynamodb::Client) { c.delete_item(); }\n',
}

FIXTURE_EXCLUDED = [("store/src/db.rs", "create_table", "create_table", "fixture: local setup")]


def self_test() -> bool:
    results = []

    def run(name, actions, files_patch=None, expect_ok=False, expect_text=()):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            files = dict(FIXTURE_FILES)
            files.update(files_patch or {})
            for rel, text in files.items():
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(text)
            (root / "infra").mkdir()
            t = root / "infra" / "template.yaml"
            t.write_text(FIXTURE_TEMPLATE.replace("ACTIONS", ", ".join(actions)))
            lines = []
            ok = check(t, root, excluded=FIXTURE_EXCLUDED, out=lines.append)
            text = "\n".join(lines)
            good = ok == expect_ok and all(s in text for s in expect_text)
            results.append(good)
            print(f"  {'pass' if good else 'FAIL'}: {name}")
            if not good:
                print("    checker said (ok=%s):\n      %s" % (ok, text.replace("\n", "\n      ")))

    exact = ["dynamodb:GetItem", "dynamodb:PutItem"]
    run("grants equal to the calls pass (transaction -> PutItem; tests, comments, strings, "
        "a disabled feature and the excluded create_table do not count)", exact, expect_ok=True)
    run("a call the template does not grant fails", ["dynamodb:GetItem"],
        expect_text=["MISSING dynamodb:PutItem"])
    run("a grant no code calls fails", exact + ["dynamodb:Scan"],
        expect_text=["EXTRA   dynamodb:Scan"])
    run("a new call in a dependency crate fails", exact,
        files_patch={"store/src/db.rs": FIXTURE_FILES["store/src/db.rs"].replace(
            "c.get_item()", "c.get_item(); c.delete_item()")},
        expect_text=["MISSING dynamodb:DeleteItem", "store/src/db.rs:4"])
    run("an SDK call through a client from another crate (a chain ending in .send()) counts", exact,
        files_patch={"app/src/main.rs": 'fn main() { let s = store::db::client(); '
                     's.client().batch_write_item().request_items(x).send(); }\n'},
        expect_text=["MISSING dynamodb:BatchWriteItem", "app/src/main.rs:1"])
    run("an SESv2 send of raw content needs ses:SendRawEmail as well", exact + ["ses:SendEmail"],
        files_patch={"store/Cargo.toml": FIXTURE_FILES["store/Cargo.toml"] + 'aws-sdk-sesv2 = "1"\n',
                     "store/src/lib.rs": FIXTURE_FILES["store/src/lib.rs"] + "pub mod mail;\n",
                     "store/src/mail.rs": "use aws_sdk_sesv2::types::EmailContent;\n"
                     "pub async fn send(c: &aws_sdk_sesv2::Client, raw: RawMessage) {\n"
                     "    c.send_email().content(EmailContent::builder().raw(raw).build()).send().await;\n}\n"},
        expect_text=["MISSING ses:SendRawEmail", "store/src/mail.rs:3"])
    run("turning on a feature brings its calls in", exact,
        files_patch={"app/Cargo.toml": FIXTURE_FILES["app/Cargo.toml"].replace(
            'features = ["db"]', 'features = ["db", "local"]')},
        expect_text=["MISSING dynamodb:DeleteItem"])
    run("an SDK the checker does not know fails", exact,
        files_patch={"store/Cargo.toml": FIXTURE_FILES["store/Cargo.toml"] + 'aws-sdk-sqs = "1"\n'},
        expect_text=["aws-sdk-sqs is used"])
    run("a wildcard action fails", exact + ["dynamodb:*"], expect_text=["wildcard"])
    run("signing an upload grant by hand needs the s3:PutObject it grants", exact,
        files_patch={"app/src/main.rs": 'fn main() { let g = office::upload_grant::upload_grants(a, b); }\n'},
        expect_text=["MISSING s3:PutObject", "app/src/main.rs:1"])
    run("a GetObject that tells a missing key apart needs s3:ListBucket too",
        exact + ["s3:GetObject"],
        files_patch={"store/Cargo.toml": FIXTURE_FILES["store/Cargo.toml"] + 'aws-sdk-s3 = "1"\n',
                     "store/src/lib.rs": FIXTURE_FILES["store/src/lib.rs"] + "pub mod files;\n",
                     "store/src/files.rs": "pub async fn get(c: &aws_sdk_s3::Client) {\n"
                     "    match c.get_object().send().await { Err(e) if e.is_no_such_key() => {}, _ => {} }\n}\n"},
        expect_text=["MISSING s3:ListBucket", "store/src/files.rs:2"])

    # The real template, mutated: one grant removed, one added.
    here = Path(__file__).resolve().parent
    real = here / "template.yaml"
    repo = here.parent
    text = real.read_text(encoding="utf-8")
    for name, old, new, expect in [
        ("real template without intake's dynamodb:UpdateItem fails",
         "Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:UpdateItem]",
         "Action: [dynamodb:GetItem, dynamodb:PutItem]", "MISSING dynamodb:UpdateItem"),
        ("real template without process's s3:DeleteObject fails",
         "Action: [s3:GetObject, s3:DeleteObject]",
         "Action: [s3:GetObject]", "MISSING s3:DeleteObject"),
        ("real template without intake's s3:PutObject on the quarantine fails",
         "Sid: EvidenceUploads\n                Effect: Allow\n                Action: [s3:PutObject]",
         "Sid: EvidenceUploads\n                Effect: Allow\n                Action: [s3:GetObject]",
         "MISSING s3:PutObject"),
        ("real template without the texts' sms-voice:SendTextMessage fails",
         "Action: [sms-voice:SendTextMessage]",
         "Action: [sms-voice:DescribeSenderIds]",
         "MISSING sms-voice:SendTextMessage"),
        ("real template granting dynamodb:Scan too fails",
         "Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:UpdateItem]",
         "Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:UpdateItem, dynamodb:Scan]",
         "EXTRA   dynamodb:Scan"),
    ]:
        if old not in text:
            print(f"  FAIL: {name}: the template no longer contains {old!r}; update the self-test")
            results.append(False)
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=here, delete=False) as f:
            f.write(text.replace(old, new, 1))
        try:
            lines = []
            ok = check(Path(f.name), repo, out=lines.append)
        finally:
            Path(f.name).unlink()
        good = not ok and any(expect in line for line in lines)
        results.append(good)
        print(f"  {'pass' if good else 'FAIL'}: {name}")
        if not good:
            print("    " + "\n    ".join(lines))
    return all(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = Path(__file__).resolve().parent
    parser.add_argument("--template", type=Path, default=here / "template.yaml")
    parser.add_argument("--self-test", action="store_true",
                        help="show that the checker fails on missing and extra grants")
    args = parser.parse_args()
    if args.self_test:
        ok = self_test()
        print("iam_check self-test: " + ("all passed" if ok else "FAILED"))
        return 0 if ok else 1
    ok = check(args.template.resolve(), here.parent)
    print("iam_check: " + ("the grants match the code" if ok else "FAILED: fix the template or the code"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
