#!/usr/bin/env bash
# Seeds fuzz/corpus/TARGET from the examples and betsy (BPEL_SHARED, else ../shared beside the
# repository). Files are named by their SHA-1, so running it again adds nothing twice. The corpora
# are not committed (a few MB, and they grow as the fuzzer runs): run this before fuzzing.
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$fuzz_dir/.." && pwd)"
shared="${BPEL_SHARED:-$repo/../shared}"
betsy="$shared/conformance/betsy"
[ -d "$betsy" ] || { echo "seed.sh: betsy not found at $betsy (set BPEL_SHARED)" >&2; exit 1; }
corpus="$fuzz_dir/corpus"

export REPO="$repo" BETSY="$betsy" CORPUS="$corpus"
python3 - <<'EOF'
import glob, hashlib, os, re, struct, tomllib

repo, betsy, corpus = os.environ["REPO"], os.environ["BETSY"], os.environ["CORPUS"]
counts = {}

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1

def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()

def files(*patterns):
    out = []
    for pattern in patterns:
        out += sorted(glob.glob(os.path.join(repo, "examples", pattern), recursive=True))
        out += sorted(glob.glob(os.path.join(betsy, "**", pattern), recursive=True))
    return out

processes = files("*.bpel")
wsdls = files("*.wsdl")
schemas = files("*.xsd")

# xml_reader: every distinct document.
for path in processes + wsdls + schemas:
    put("xml_reader", read(path))

# process_check: the first byte picks what the text is (0 process, 1 WSDL, 2 XSD).
for path in processes:
    put("process_check", b"\x00" + read(path).encode())
for path in wsdls:
    put("process_check", b"\x01" + read(path).encode())
for path in schemas:
    put("process_check", b"\x02" + read(path).encode())

# xpath: every expression and query of the processes and of the WSDLs' property aliases.
unescape = lambda s: s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
element = re.compile(r"<(?:\w+:)?(condition|from|to|query|for|until|repeatEvery|startCounterValue|finalCounterValue|"
                     r"branches|completionCondition|joinCondition|transitionCondition)\b[^>]*?(?<!/)>(.*?)</", re.S)
attribute = re.compile(r'\b(?:expression|joinCondition)="([^"]*)"')
for path in processes + wsdls:
    text = read(path)
    for match in element.finditer(text):
        body = match.group(2).strip()
        if body and "<" not in body:
            put("xpath", unescape(body))
    for match in attribute.finditer(text):
        put("xpath", unescape(match.group(1)))

# soap: each request body of the examples' scenarios (and each expected reply) in an envelope,
# and a fault. A first line that is not markup is the SOAPAction (the target's convention).
ENVELOPE = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>'
for path in sorted(glob.glob(os.path.join(repo, "examples", "*", "*.scenario.toml"))):
    scenario = tomllib.loads(read(path))
    put("scenario", read(path))
    for step in scenario.get("step", []):
        for key in ("body", "expect_reply", "reply", "request"):
            if key in step:
                put("soap", ENVELOPE.format(step[key]))
                put("soap", step.get("send", "x") + "\n" + ENVELOPE.format(step[key]))
put("soap", ENVELOPE.format("<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>no</faultstring>"
                            "<detail><a xmlns='urn:a'>1</a></detail></soapenv:Fault>"))
put("soap", '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>'
            '<h:t xmlns:h="urn:h" soapenv:mustUnderstand="1"/></soapenv:Header><soapenv:Body/></soapenv:Envelope>')

# checkpoint: the input is `arbitrary` data; an enum's variant is the first four bytes (0: a real
# checkpoint with its body edited, then its index as a u16; all ones: a raw file with the
# example index and the bytes). Each real checkpoint unedited, in either byte order.
for index in range(256):
    put("checkpoint", b"\x00\x00\x00\x00" + struct.pack("<H", index))
    put("checkpoint", b"\x00\x00\x00\x00" + struct.pack(">H", index))
for path in sorted(glob.glob(os.path.join(repo, "engine", "tests", "fixtures", "checkpoints", "**", "*.ckpt"), recursive=True)):
    with open(path, "rb") as f:
        raw = f.read()
    for example in range(4):
        put("checkpoint", b"\xff\xff\xff\xff" + bytes([example]) + raw)

# lsp_edits: each starting text with no edits (the first byte picks it).
for start in range(8):
    put("lsp_edits", bytes([start]))

for target in sorted(counts):
    print(f"{target}: {counts[target]} new files")
EOF
for target in xml_reader process_check xpath soap checkpoint scenario lsp_edits; do
    mkdir -p "$corpus/$target"
    printf '%-14s %5s files %6s\n' "$target" "$(find "$corpus/$target" -type f | wc -l)" "$(du -sh "$corpus/$target" | cut -f1)"
done
