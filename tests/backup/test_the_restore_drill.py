"""The restore drill: back up the demo office, restore it on a new installation, and the
two hold the same data (same sync digest) and the same attached files."""

from __future__ import annotations

from tests.backup.conftest import as_office, header_of


def test_a_backup_restored_on_a_new_installation_holds_the_same_data(office, made_backup, nodes):
    path, digest = made_backup
    new = as_office(nodes("newmachine"), office)
    out = new.manage("restore", str(path))
    assert "Sauvegarde restaurée" in out
    assert "prochaine synchronisation vérifiera les compteurs" in out
    assert new.digest() == digest
    assert digest.split()[1] != "0"
    counts = ("from yiri.cases.models import Case\n"
              "result = Case._base_manager.count()")
    assert new.script(counts) == header_of(path)["manifest"]["counts"]["cases_case"] > 30
    originals = sorted(p.relative_to(office.dir / "attachments").as_posix()
                       for p in (office.dir / "attachments").rglob("*") if p.is_file())
    restored = sorted(p.relative_to(new.dir / "attachments").as_posix()
                      for p in (new.dir / "attachments").rglob("*") if p.is_file())
    assert originals and restored == originals
    for rel in originals:
        assert (new.dir / "attachments" / rel).read_bytes() == (
            office.dir / "attachments" / rel).read_bytes()


def test_a_restored_node_numbers_its_next_operation_after_those_in_its_backup(
        office, made_backup, nodes):
    path, _ = made_backup
    clock = header_of(path)["manifest"]["clock"]
    new = as_office(nodes("carryon"), office)
    new.manage("restore", str(path))
    write = """
from yiri.network.models import Location
from yiri.sync.models import ClockState, Operation
place = Location.objects.get(code="BF-KAD")
place.name = place.name + " (renommée)"
place.save()
op = Operation.objects.order_by("-seq").first()
c = ClockState.objects.get(pk=1)
result = [op.origin_node, op.counter, op.seq, c.counter]
"""
    origin, counter, seq, now = new.script(write)
    assert origin == office.node_id
    assert counter == clock["counter"] + 1 == now
    assert seq == clock["seq"] + 1
