#!/bin/sh
# Checks this evidence bundle with stock tools only: sh, coreutils (sha256sum, head, tail, cut, tr, wc, base64),
# grep, sed and openssl 3 (Ed25519). VERIFY.md explains each step, and what it does not prove.
# Exit status: 0 the recording is whole and signed (VALID); 2 it is signed only up to its latest checkpoint
# (INCOMPLETE: still open, or its bastion stopped); 3 its payload was deleted by policy and what is left, and the
# broker's signed tombstone, verify (DELETED_BY_POLICY); 1 something does not verify; 64 a tool is missing.
set -u
cd "$(dirname "$0")" || exit 64
for tool in sha256sum openssl grep sed head tail cut tr wc base64 mktemp; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing tool: $tool" >&2; exit 64; }
done
fail() { echo "FAILED: $*" >&2; exit 1; }
hash_of() { sha256sum < "$1" | cut -c1-64; }
# The 64-hex-digit value of a JSON string field, from a file (every occurrence, in order).
field() { grep -o "\"$1\" *: *\"[0-9a-f]\{64\}\"" "$2" | grep -o '[0-9a-f]\{64\}'; }
workdir=$(mktemp -d) || exit 64
trap 'rm -rf "$workdir"' EXIT

echo "1. every file is the one SHA256SUMS lists"
sha256sum --strict --quiet -c SHA256SUMS || fail "a file differs from SHA256SUMS (or is missing)"

echo "2. the recording names the key in bastion.pub.pem as its signer"
key=$(openssl pkey -pubin -in bastion.pub.pem -outform DER | sha256sum | cut -c1-64) \
    || fail "bastion.pub.pem is not a public key openssl reads"
echo "   key SHA-256 $key"

header=$(hash_of recording/header.json)
session=$(grep -o '"id" *: *"[0-9a-f-]*"' session.json | head -n 1 | grep -o '[0-9a-f-]\{36\}')
[ -n "$session" ] || fail "session.json names no session"
grep -q "\"session\" *: *\"$session\"" recording/header.json \
    || fail "recording/header.json does not name session $session"

# Walks the chain once: chunk i must say it is chunk i and name the SHA-256 of the object before it (the header,
# for chunk 1). Writes the header's hash and then each linked chunk's to $workdir/hashes (line i + 1: chunk i)
# and stops at the first chunk that does not link.
chunks=$(ls recording | grep -c '^chunk-[0-9]\{8\}\.bin$')
echo "$header" > "$workdir/hashes"
linked=0
while [ "$linked" -lt "$chunks" ]; do
    i=$((linked + 1))
    file=$(printf 'recording/chunk-%08d.bin' "$i")
    [ -f "$file" ] || { echo "   chunk $i is missing" >&2; break; }
    line=$(head -n 1 "$file")
    printf '%s' "$line" | grep -q "\"index\" *: *$i[,}]" || { echo "   $file does not say it is chunk $i" >&2; break; }
    printf '%s' "$line" | grep -q "\"prev\" *: *\"$(tail -n 1 "$workdir/hashes")\"" \
        || { echo "   $file does not link to the hash of the object before it" >&2; break; }
    hash_of "$file" >> "$workdir/hashes"
    linked=$i
done
hash_at() { sed -n "$(($1 + 1))p" "$workdir/hashes"; }

# Checks a signed checkpoint (its statement line, then the base64 Ed25519 signature over exactly that line, without
# the newline) against the key, the header and the chain; prints how many chunks it covers.
checkpoint() {
    head -n 1 "$1" | tr -d '\n' > "$workdir/statement"
    sed -n 2p "$1" | base64 -d > "$workdir/signature" 2>/dev/null || { echo "$1: signature is not base64" >&2; return 1; }
    openssl pkeyutl -verify -pubin -inkey bastion.pub.pem -rawin -in "$workdir/statement" \
        -sigfile "$workdir/signature" >/dev/null 2>&1 || { echo "$1: the signature does not verify" >&2; return 1; }
    [ "$(field signerKeySha256 "$workdir/statement")" = "$key" ] || { echo "$1 names another signer" >&2; return 1; }
    [ "$(field headerSha256 "$workdir/statement")" = "$header" ] || { echo "$1 names another header" >&2; return 1; }
    covered=$(grep -o '"chunks" *: *[0-9]*' "$workdir/statement" | grep -o '[0-9]*$')
    [ -n "$covered" ] || { echo "$1 does not say how many chunks it covers" >&2; return 1; }
    [ "$covered" -le "$linked" ] || { echo "$1 covers $covered chunks; only $linked are there and linked" >&2; return 1; }
    [ "$(field headSha256 "$workdir/statement")" = "$(hash_at "$covered")" ] \
        || { echo "$1: chunk $covered does not hash as the checkpoint says" >&2; return 1; }
    echo "$covered"
}

if [ -f tombstone.txt ]; then
    echo "3. the broker's audit head key signed tombstone.txt (the record of the deletion by policy)"
    head -n 7 tombstone.txt > "$workdir/tombstone"
    sed -n 8p tombstone.txt | base64 -d > "$workdir/tombstone.sig" 2>/dev/null \
        || fail "the tombstone's signature is not base64"
    openssl pkeyutl -verify -pubin -inkey audit_head.pub.pem -rawin -in "$workdir/tombstone" \
        -sigfile "$workdir/tombstone.sig" || fail "the tombstone's signature does not verify with audit_head.pub.pem"
    [ "$(sed -n 1p tombstone.txt)" = portcullis-recording-tombstone ] || fail "tombstone.txt is not a recording tombstone"
    [ "$(sed -n 2p tombstone.txt)" = "$session" ] || fail "the tombstone names another session"
    recording=$(sed -n 3p tombstone.txt)
    named=$(sed -n 7p tombstone.txt)
    if [ "$named" != none ]; then
        echo "4. the bastion signed the manifest the tombstone names, over this header"
        [ -f recording/manifest.json ] || fail "the manifest the tombstone names is missing"
        [ "$(hash_of recording/manifest.json)" = "$named" ] || fail "recording/manifest.json is not the one the tombstone names"
        openssl pkeyutl -verify -pubin -inkey bastion.pub.pem -rawin -in recording/manifest.json \
            -sigfile recording/manifest.sig || fail "the manifest's signature does not verify with bastion.pub.pem"
        [ "$(field signerKeySha256 recording/manifest.json)" = "$key" ] || fail "the manifest names another signer"
        [ "$(field headerSha256 recording/manifest.json)" = "$header" ] || fail "header.json is not the one signed"
        grep -q "\"recording\" *: *\"$recording\"" recording/manifest.json || fail "the manifest is another recording's"
        echo "5. any chunk not yet deleted is the chunk the manifest signed"
        field sha256 recording/manifest.json > "$workdir/signed"
        for c in recording/chunk-*.bin; do
            [ -f "$c" ] || continue
            i=$(echo "$c" | grep -o '[0-9]\{8\}' | sed 's/^0*//')
            [ "$(hash_of "$c")" = "$(sed -n "${i}p" "$workdir/signed")" ] || fail "$c is not the chunk the manifest signed"
        done
    else
        echo "4. never closed: no manifest, and the latest signed checkpoint names this header"
        [ ! -e recording/manifest.json ] || fail "a manifest appeared after the payload was deleted"
        latest=$(ls recording | grep '^checkpoint-[0-9]\{8\}\.sig$' | tail -n 1)
        [ -n "$latest" ] || fail "neither a manifest nor a signed checkpoint: nothing here is signed"
        head -n 1 "recording/$latest" | tr -d '\n' > "$workdir/statement"
        sed -n 2p "recording/$latest" | base64 -d > "$workdir/signature" 2>/dev/null || fail "$latest: not base64"
        openssl pkeyutl -verify -pubin -inkey bastion.pub.pem -rawin -in "$workdir/statement" \
            -sigfile "$workdir/signature" >/dev/null 2>&1 || fail "$latest: the signature does not verify"
        [ "$(field signerKeySha256 "$workdir/statement")" = "$key" ] || fail "$latest names another signer"
        [ "$(field headerSha256 "$workdir/statement")" = "$header" ] || fail "$latest names another header"
    fi
    echo "DELETED_BY_POLICY: the payload of recording $recording was deleted at $(sed -n 6p tombstone.txt)" \
        "under rule '$(sed -n 4p tombstone.txt)' (retention $(sed -n 5p tombstone.txt)); what is left verifies"
    exit 3
fi

if [ -f recording/manifest.json ]; then
    echo "3. the bastion's Ed25519 signature over recording/manifest.json"
    openssl pkeyutl -verify -pubin -inkey bastion.pub.pem -rawin -in recording/manifest.json \
        -sigfile recording/manifest.sig || fail "the manifest's signature does not verify with bastion.pub.pem"
    [ "$(field signerKeySha256 recording/manifest.json)" = "$key" ] || fail "the manifest names another signer"

    echo "4. the hash chain: header -> chunk 1 -> ... -> chunk $chunks, whose hash is the manifest's finalSha256"
    [ "$(field headerSha256 recording/manifest.json)" = "$header" ] || fail "header.json is not the one signed"
    [ "$linked" -eq "$chunks" ] || fail "the hash chain breaks after chunk $linked"
    [ "$(hash_at "$chunks")" = "$(field finalSha256 recording/manifest.json)" ] || fail "the chain does not end at finalSha256"

    echo "5. each chunk hashes as the manifest lists it"
    field sha256 recording/manifest.json > "$workdir/signed"
    listed=$(wc -l < "$workdir/signed")
    [ "$listed" -eq "$chunks" ] || fail "the manifest lists $listed chunks, the bundle holds $chunks"
    i=0
    while read -r signed; do
        i=$((i + 1))
        [ "$(hash_at "$i")" = "$signed" ] || fail "chunk $i is not the chunk the manifest signed"
    done < "$workdir/signed"

    echo "6. every signed checkpoint agrees with the chain"
    for cp in recording/checkpoint-*.sig; do
        [ -f "$cp" ] || continue
        checkpoint "$cp" >/dev/null || fail "checkpoint $cp does not verify"
    done
    echo "VALID: $chunks chunks, signed by the key with SHA-256 $key"
    exit 0
fi

echo "3. no manifest: the recording was not closed; checking its latest signed checkpoint"
latest=$(ls recording | grep '^checkpoint-[0-9]\{8\}\.sig$' | tail -n 1)
[ -n "$latest" ] || fail "neither a manifest nor a signed checkpoint: nothing here is signed"
proven=$(checkpoint "recording/$latest") || fail "the latest checkpoint does not verify"
echo "INCOMPLETE: chunks 1..$proven of $chunks are signed (checkpoint $latest); the rest is not proven"
exit 2
