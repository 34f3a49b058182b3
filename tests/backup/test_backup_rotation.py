"""``manage.py backup --keep N`` keeps this node's N newest backups in the folder and
leaves other nodes' files alone."""

from __future__ import annotations

import shutil


def test_backup_with_keep_removes_the_oldest_of_this_node_only(office, made_backup, tmp_path):
    path, _ = made_backup
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / f"yiri-backup-{office.node_id}-2026010{d}-030000.ybk" for d in (1, 2, 3)]
    for p in old:
        shutil.copyfile(path, p)
    other = folder / "yiri-backup-00000000-0000-4000-8000-000000000000-20250101-030000.ybk"
    shutil.copyfile(path, other)
    out = office.manage("backup", "--out", str(folder), "--keep", "2", "--no-verify")
    left = sorted(p.name for p in folder.glob("*.ybk"))
    mine = [n for n in left if office.node_id in n]
    assert len(mine) == 2
    assert old[2].name in mine  # the newest old one, and the one just made
    assert not old[0].exists() and not old[1].exists()
    assert other.exists()
    assert out.count("Ancienne sauvegarde supprimée") == 2
    assert folder.stat().st_mode & 0o777 == 0o700
    made = [p for p in folder.glob("*.ybk") if p not in old and p != other]
    assert made and all(p.stat().st_mode & 0o077 == 0 for p in made)
