"""Signed checkpoints (C2SP tlog-checkpoint over C2SP signed-note) and proof files
(C2SP tlog-proof), with Ed25519 signatures.

A checkpoint's text is three lines: the origin (the log's name: the service and the
office, e.g. ``ruam.example/default``), the tree size in decimal, the base64 root.
A signed note is that text, a blank line, and one line per signature::

    — <key name> base64(key id ‖ Ed25519 signature over the text)

key id = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4] (the spec's
recommendation for type 0x01). A verifier key is written as Go's ``note`` package
does: ``<name>+<key id, 8 hex>+<base64(0x01 ‖ public key)>``. Verifiers ignore
signatures from keys they do not know (rotation, witness cosignatures), reject a
note if a known key's signature fails, and reject it if no known key signed.

A proof file (``c2sp.org/tlog-proof@v1``): ``extra`` = base64 of the record's
canonical bytes (the leaf's data; not trusted until its leaf hash is in the
signed tree), ``index`` (zero-based leaf), the inclusion path, a blank line and the
checkpoint note verbatim. Checking one needs no database.

Pure apart from the signature library (``cryptography``, imported here only).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workflow import merkle
from workflow.errors import RuamError

ED25519 = b"\x01"
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
_NAME = re.compile(r"^[^\s+]+$")
_SIZE = re.compile(r"^(0|[1-9][0-9]*)$")
MAX_SIGNATURES = 64


class ProofInvalid(RuamError):
    """A checkpoint, a note's signatures or a proof file that does not check out."""

    code = "proof_invalid"
    http_status = 422

    def __init__(self, message_en: str, message_th: str) -> None:
        super().__init__(message_en, message_th)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str, what_th: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ProofInvalid(f"{what} is not base64", f"{what_th}ไม่ใช่ base64") from None


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519 + public).digest()[:4]


def check_name(name: str) -> str:
    if not name or not _NAME.match(name):
        raise ProofInvalid(f"key name '{name}' must be non-empty, without spaces or '+'",
                           f"ชื่อกุญแจ '{name}' ต้องไม่ว่าง ไม่มีช่องว่างหรือ '+'")
    return name


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: its name, id and raw 32 bytes."""

    name: str
    public: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.public)

    def text(self) -> str:
        return f"{self.name}+{self.id.hex()}+{_b64(ED25519 + self.public)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
            return True
        except InvalidSignature:
            return False


def parse_verifier(text: str) -> Verifier:
    """A verifier key ``name+hex8+base64(0x01‖key)``."""
    parts = text.strip().split("+", 2)  # the base64 may hold a "+"
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise ProofInvalid(f"'{text.strip()[:60]}' is not a verifier key (name+id+key)",
                           f"'{text.strip()[:60]}' ไม่ใช่กุญแจตรวจสอบ (ชื่อ+รหัส+กุญแจ)")
    raw = _unb64(parts[2], "the verifier key", "กุญแจตรวจสอบ")
    if len(raw) != 33 or raw[:1] != ED25519:
        raise ProofInvalid("the verifier key is not an Ed25519 key", "กุญแจตรวจสอบไม่ใช่กุญแจ Ed25519")
    v = Verifier(check_name(parts[0]), raw[1:])
    if v.id.hex() != parts[1]:
        raise ProofInvalid("the verifier key's id does not match its key", "รหัสของกุญแจตรวจสอบไม่ตรงกับกุญแจ")
    return v


@dataclass(frozen=True)
class Signer:
    name: str
    private: bytes  # the 32-byte Ed25519 seed

    @classmethod
    def generate(cls, name: str) -> Signer:
        from cryptography.hazmat.primitives import serialization as ser

        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption())
        return cls(check_name(name), raw)

    @property
    def verifier(self) -> Verifier:
        from cryptography.hazmat.primitives import serialization as ser

        pub = Ed25519PrivateKey.from_private_bytes(self.private).public_key()
        return Verifier(self.name, pub.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw))

    def sign_line(self, text: str) -> str:
        sig = Ed25519PrivateKey.from_private_bytes(self.private).sign(text.encode("utf-8"))
        return f"— {self.name} {_b64(self.verifier.id + sig)}\n"

    def text(self) -> str:
        """Go's ``note`` signer-key form (``PRIVATE+KEY+name+id+base64(0x01‖seed)``)."""
        return f"PRIVATE+KEY+{self.name}+{self.verifier.id.hex()}+{_b64(ED25519 + self.private)}"


def parse_signer(text: str) -> Signer:
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise ProofInvalid("not a signer key file", "ไม่ใช่ไฟล์กุญแจลงนาม")
    raw = _unb64(parts[4], "the signer key", "กุญแจลงนาม")
    if len(raw) != 33 or raw[:1] != ED25519:
        raise ProofInvalid("the signer key is not an Ed25519 key", "กุญแจลงนามไม่ใช่กุญแจ Ed25519")
    signer = Signer(check_name(parts[2]), raw[1:])
    if signer.verifier.id.hex() != parts[3]:
        raise ProofInvalid("the signer key's id does not match its key", "รหัสของกุญแจลงนามไม่ตรงกับกุญแจ")
    return signer


# -- signed notes --------------------------------------------------------------------------
@dataclass(frozen=True)
class Signature:
    name: str
    id: bytes
    signature: bytes


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    if not text.endswith("\n"):
        raise ValueError("a note's text ends with a newline")
    if not signers:
        raise ValueError("a note needs a signer")
    return text + "\n" + "".join(s.sign_line(text) for s in signers)


def parse_note(note: str) -> tuple[str, list[Signature]]:
    """The text and the signature lines of a signed note (its form checked, not its signatures)."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise ProofInvalid("the note holds control characters", "บันทึกที่ลงนามมีอักขระควบคุม")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise ProofInvalid("the note has no signature lines", "บันทึกที่ลงนามไม่มีบรรทัดลายมือชื่อ")
    text, lines = note[:cut + 1], note[cut + 2:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise ProofInvalid("the note has too many signatures", "บันทึกที่ลงนามมีลายมือชื่อมากเกินไป")
    signatures = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "—":
            raise ProofInvalid(f"'{line[:60]}' is not a signature line", f"'{line[:60]}' ไม่ใช่บรรทัดลายมือชื่อ")
        raw = _unb64(parts[2], "a signature", "ลายมือชื่อ")
        if len(raw) < 5:
            raise ProofInvalid("a signature is too short", "ลายมือชื่อสั้นเกินไป")
        signatures.append(Signature(check_name(parts[1]), raw[:4], raw[4:]))
    return text, signatures


def open_note(note: str, trusted: Iterable[Verifier]) -> tuple[str, list[Verifier]]:
    """The note's text and the trusted keys whose signatures verified (at least one)."""
    text, signatures = parse_note(note)
    keys = {(v.name, v.id): v for v in trusted}
    good = []
    for sig in signatures:
        v = keys.get((sig.name, sig.id))
        if v is None:
            continue  # an unknown key (a retired one we were not given, a witness): ignored
        if not v.verify(text.encode("utf-8"), sig.signature):
            raise ProofInvalid(f"the signature of key {v.name}+{v.id.hex()} does not verify",
                               f"ลายมือชื่อของกุญแจ {v.name}+{v.id.hex()} ไม่ถูกต้อง")
        if v not in good:
            good.append(v)
    if not good:
        raise ProofInvalid("no trusted key signed this checkpoint", "ไม่มีกุญแจที่เชื่อถือได้ลงนามจุดตรวจนี้")
    return text, good


# -- checkpoints ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{_b64(self.root)}\n"

    def sign(self, signers: Sequence[Signer]) -> str:
        return sign_note(self.text(), signers)


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[0] or any(not x for x in lines[3:-1]):
        raise ProofInvalid("not a checkpoint (origin, size, root)", "ไม่ใช่จุดตรวจ (ชื่อบันทึก ขนาด ราก)")
    if not _SIZE.match(lines[1]):
        raise ProofInvalid(f"the checkpoint's size '{lines[1][:20]}' is not a number",
                           f"ขนาดในจุดตรวจ '{lines[1][:20]}' ไม่ใช่ตัวเลข")
    root = _unb64(lines[2], "the checkpoint's root", "รากของจุดตรวจ")
    if len(root) != 32:
        raise ProofInvalid("the checkpoint's root is not a SHA-256 hash", "รากของจุดตรวจไม่ใช่ค่า SHA-256")
    return Checkpoint(lines[0], int(lines[1]), root)


def open_checkpoint(note: str, trusted: Iterable[Verifier], origin: str | None = None
                    ) -> tuple[Checkpoint, list[Verifier]]:
    """A signed checkpoint, verified: the checkpoint and the trusted keys that signed it."""
    text, good = open_note(note, trusted)
    cp = parse_checkpoint(text)
    if origin is not None and cp.origin != origin:
        raise ProofInvalid(f"the checkpoint is of log '{cp.origin}', not '{origin}'",
                           f"จุดตรวจเป็นของบันทึก '{cp.origin}' ไม่ใช่ '{origin}'")
    return cp, good


def check_consistent(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """The new checkpoint extends the old one (same log, the first size not above the second)."""
    if old.origin != new.origin:
        raise ProofInvalid(f"the checkpoints are of different logs ('{old.origin}', '{new.origin}')",
                           f"จุดตรวจเป็นของคนละบันทึก ('{old.origin}', '{new.origin}')")
    try:
        merkle.verify_consistency(old.size, new.size, proof, old.root, new.root)
    except merkle.ProofError as exc:
        raise ProofInvalid(f"the log of {new.size} records does not extend the checkpoint of {old.size}: {exc}",
                           f"บันทึก {new.size} รายการไม่ได้ต่อจากจุดตรวจ {old.size} รายการ "
                           "(มีการแก้ไขหรือตัดบันทึกเดิม)") from None


# -- proof files (tlog-proof) -----------------------------------------------------------------
@dataclass(frozen=True)
class ProofFile:
    index: int
    path: tuple[bytes, ...]
    note: str          # the signed checkpoint, verbatim
    extra: bytes = b""  # the record's canonical bytes

    def text(self) -> str:
        head = [PROOF_HEADER]
        if self.extra:
            head.append(f"extra {_b64(self.extra)}")
        head.append(f"index {self.index}")
        head += [_b64(h) for h in self.path]
        return "\n".join(head) + "\n\n" + self.note


def parse_proof_file(text: str) -> ProofFile:
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != PROOF_HEADER:
        raise ProofInvalid(f"not a proof file (it must begin with {PROOF_HEADER})",
                           f"ไม่ใช่ไฟล์หลักฐาน (ต้องขึ้นต้นด้วย {PROOF_HEADER})")
    rest, extra = lines[1:], b""
    if rest and rest[0].startswith("extra "):
        extra = _unb64(rest[0][6:], "the proof's record", "บันทึกในไฟล์หลักฐาน")
        rest = rest[1:]
    if not rest or not rest[0].startswith("index ") or not _SIZE.match(rest[0][6:]):
        raise ProofInvalid("the proof file has no index line", "ไฟล์หลักฐานไม่มีบรรทัด index")
    path = tuple(_unb64(x, "a hash of the proof", "ค่า hash ในไฟล์หลักฐาน") for x in rest[1:])
    if any(len(h) != 32 for h in path):
        raise ProofInvalid("a hash of the proof is not SHA-256", "ค่า hash ในไฟล์หลักฐานไม่ใช่ SHA-256")
    return ProofFile(int(rest[0][6:]), path, note, extra)


def check_proof_file(text: str, trusted: Iterable[Verifier]) -> tuple[ProofFile, Checkpoint, list[Verifier]]:
    """Verify a proof file: the checkpoint's signature, then the record's leaf on the signed root."""
    proof = parse_proof_file(text)
    cp, good = open_checkpoint(proof.note, trusted)
    try:
        merkle.verify_inclusion(proof.index, cp.size, merkle.leaf_hash(proof.extra), proof.path, cp.root)
    except merkle.ProofError:
        raise ProofInvalid(f"the record is not entry {proof.index} of the signed log of {cp.size} records",
                           f"บันทึกนี้ไม่ใช่รายการที่ {proof.index + 1} ของบันทึก {cp.size} รายการที่ลงนามไว้") from None
    return proof, cp, good
