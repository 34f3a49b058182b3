"""What is checked and kept when a file is attached to a record: the real type (read from
the bytes), the size, photos re-encoded without their metadata, a small thumbnail, and
nothing left behind by a refused file."""

from __future__ import annotations

import hashlib
import io
import os
import stat

import pytest
from PIL import Image

from yiri.attachments import storage
from yiri.attachments.models import Attachment
from yiri.attachments.services import AttachmentInvalid, add_attachment, read_content
from yiri.audit.models import AuditEvent

from ..conftest import make_case
from .files import GPS_IFD, PDF, image_bytes, jpeg_with_gps, photo, upload


def stored_files() -> list:
    root = storage.root()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def refused(user, case, field: str, file) -> str:
    before = (Attachment.objects.count(), stored_files(), AuditEvent.objects.count())
    with pytest.raises(AttachmentInvalid) as exc:
        add_attachment(user, case, field, file)
    assert (Attachment.objects.count(), stored_files(), AuditEvent.objects.count()) == before
    return " ".join(exc.value.errors["file"])


def test_a_photo_is_stored_without_its_exif_and_gps_position(cast):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the test photo has some
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", upload("awa.jpg", original, "image/jpeg"))
    kept = storage.read(att.pk)
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and image.size == (640, 480)
    assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert b"TelephoneDeTerrain" not in kept and b"Exif" not in kept
    assert att.sha256 == hashlib.sha256(kept).hexdigest() and att.size == len(kept)


def test_a_photo_gets_a_thumbnail_small_enough_for_a_2g_link(cast, settings):
    settings.YIRI_ATTACHMENT_MAX_MB = 20
    noise = Image.effect_noise((4000, 3000), 90).convert("RGB")  # the worst case for JPEG
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", upload("big.jpg", out.getvalue()))
    _att, thumb = read_content(cast.worker, case, att.pk, thumbnail=True)
    small = Image.open(io.BytesIO(thumb))
    assert small.format == "JPEG" and max(small.size) <= 160
    assert len(thumb) <= 10_000 and att.thumbnail_size == len(thumb)
    assert max(Image.open(io.BytesIO(storage.read(att.pk))).size) == 2048  # scaled down


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_photos_are_kept_in_their_own_format(cast, fmt):
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", upload("photo", image_bytes(fmt)))
    assert att.content_type == f"image/{fmt.lower()}"
    assert Image.open(io.BytesIO(storage.read(att.pk))).format == fmt


def test_a_pdf_document_is_stored_byte_for_byte_without_a_thumbnail(cast):
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "supporting_documents",
                         upload("acte.pdf", PDF, "application/pdf"))
    assert att.content_type == "application/pdf" and not att.has_thumbnail
    assert storage.read(att.pk) == PDF


def test_stored_files_and_their_folders_are_readable_by_their_owner_only(cast):
    case = make_case(cast.worker)
    att = add_attachment(cast.worker, case, "photos", photo())
    for part in (storage.ORIGINAL, storage.THUMBNAIL):
        path = storage.path_of(att.pk, part)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(storage.root()).st_mode) == 0o700


def test_the_stored_files_are_named_by_id_never_by_the_uploaded_name(cast):
    case = make_case(cast.worker)
    add_attachment(cast.worker, case, "photos", photo("Awa_Ouedraogo_Kaya.jpg"))
    assert not [p for p in stored_files() if "Awa" in str(p) or "Kaya" in str(p)]


def test_a_text_file_renamed_jpg_is_refused_and_nothing_is_stored(cast):
    case = make_case(cast.worker)
    message = refused(cast.worker, case, "photos",
                      upload("photo.jpg", b"Ceci n'est pas une photo.\n" * 50, "image/jpeg"))
    assert "n'est pas une photo" in message and "contenu du fichier est vérifié" in message


def test_a_damaged_jpeg_is_refused_as_unreadable(cast):
    case = make_case(cast.worker)
    message = refused(cast.worker, case, "photos",
                      upload("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00garbage" * 100))
    assert "illisible ou endommagée" in message


def test_a_pdf_is_refused_where_only_photos_are_accepted(cast):
    case = make_case(cast.worker)
    message = refused(cast.worker, case, "photos", upload("photo.pdf", PDF, "application/pdf"))
    assert "JPEG, PNG ou WebP" in message


def test_a_program_is_refused_as_a_document(cast):
    case = make_case(cast.worker)
    message = refused(cast.worker, case, "supporting_documents",
                      upload("acte.pdf", b"MZ\x90\x00" + b"\x00" * 500, "application/pdf"))
    assert "seuls les PDF et les images" in message


def test_a_file_over_the_size_limit_is_refused_saying_the_limit(cast, settings):
    settings.YIRI_ATTACHMENT_MAX_MB = 1
    case = make_case(cast.worker)
    message = refused(cast.worker, case, "supporting_documents",
                      upload("scan.pdf", PDF + b"0" * (1536 * 1024)))
    assert "1,5 Mo" in message and "1 Mo au plus" in message


def test_an_empty_file_or_no_file_is_refused(cast):
    case = make_case(cast.worker)
    assert "vide" in refused(cast.worker, case, "photos", upload("vide.jpg", b""))
    assert "Choisissez un fichier" in refused(cast.worker, case, "photos", None)


def test_a_decompression_bomb_is_refused_before_it_is_decoded(cast):
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")  # 144 million pixels in a few kB
    case = make_case(cast.worker)
    assert "trop grande" in refused(cast.worker, case, "photos", upload("x.png", out.getvalue()))
