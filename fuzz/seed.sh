#!/bin/sh
# Fills fuzz/corpus/<target>/ from the repository's real inputs. Run from
# anywhere; the corpus folders are not committed.
set -eu
cd "$(dirname "$0")"
root=..
mkdir -p corpus/submission corpus/frontmatter corpus/rules corpus/evidence_image corpus/evidence_pdf

# Submissions: the first byte picks the decoder (even: form, odd: JSON).
for f in "$root"/tests/bad-input/*.json "$root"/tests/bad-input/*.form; do
    name=$(basename "$f")
    case "$f" in
        *.json) selector='\001' ;;
        *) selector='\000' ;;
    esac
    { printf "$selector"; cat "$f"; } > "corpus/submission/$name"
done
printf '\001{"case_type":"complaint","category":"water-supply","name":"王小明","phone":"13812345678","email":"a@example.net","anonymous":false,"subject":"物业","location":"幸福路12号","occurred_on":"2026-11-01","description":"小区的自来水连续三天发黄，无法饮用。","desired_outcome":"尽快修复","language":"zh","idempotency_key":"key-12345678"}' > corpus/submission/valid.json
printf '\000case_type=report&category=food-safety&anonymous=on&description=%%E9%%A3%%9F%%E5%%93%%81%%E5%%AE%%89%%E5%%85%%A8%%E9%%97%%AE%%E9%%A2%%98%%E5%%BE%%88%%E4%%B8%%A5%%E9%%87%%8D&occurred_on=2026/11/1&language=en&website=' > corpus/submission/valid.form

# Front matter: every page of the sample site.
find "$root/content" -name '*.md' | while read -r f; do
    cp "$f" "corpus/frontmatter/$(echo "$f" | sed 's|^\.\./content/||; s|/|_|g')"
done

# Rulebooks: the sample and the broken fixtures of the tests.
cp "$root/content/rules.toml" corpus/rules/sample.toml
for f in "$root"/functions/casework/tests/fixtures/*.toml; do
    cp "$f" "corpus/rules/$(basename "$f")"
done
# YAML front matter, which the sample site does not use.
printf -- '---\ntitle: 热线\nkind: hotline\nweight: 2\ndate: 2026-01-05\nhotline:\n  number: "12345"\n  hours: 7×24\n---\nbody\n' > corpus/frontmatter/yaml-hotline.md
printf -- '---\ntitle: Letters\nkind: channel\nchannel:\n  type: letter\n  address: "1 Main St"\n  hours: [a, b]\ndraft: true\nvalid_until: 2027-01-01\n---\n# Body\n' > corpus/frontmatter/yaml-channel.md

# Evidence: the evidence crate's corpus. Images get the "no header" selector
# byte in front; PDFs go as they are.
for f in "$root"/functions/evidence/tests/corpus/*; do
    name=$(basename "$f")
    case "$name" in
        *.pdf) cp "$f" "corpus/evidence_pdf/$name" ;;
        *.md | *.txt) ;;
        *) { printf '\000'; cat "$f"; } > "corpus/evidence_image/$name" ;;
    esac
done
