"""The wheel must carry the templates and scaffold, and work away from this checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_installed_wheel_finds_templates_and_scaffold(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("coursepack-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import builder, builder.templates as t\n"
        "from pathlib import Path\n"
        f"assert Path(builder.__file__).is_relative_to(Path({str(site)!r})), builder.__file__\n"
        "for name in ('olx_templates', 'scorm_templates', 'moodle_templates', 'handbook_templates'):\n"
        "    d = t.template_dir(name)\n"
        "    assert 'site' in str(d) and any(d.iterdir()), d\n"
        "    assert t.environment(name).list_templates(), name\n"
        "assert (t.template_dir('scorm_templates') / 'i18n' / 'el.json').is_file()\n"
        "serve = Path(builder.__file__).parent / 'serve'\n"
        "for name in ('static/lms.js', 'static/preview.js', 'static/preview.css',\n"
        "             'templates/shell.html.j2'):\n"
        "    assert (serve / name).is_file(), name\n"
        "from builder.resources.scorm_schemas import control_files, load_schema\n"
        "assert len(control_files('2004', '4th')) == 17 and load_schema('1.2') is not None\n"
        "from builder.scaffold import scaffold\n"
        "files = scaffold(Path('fresh'))\n"
        "assert any(f.name == 'course.yaml' for f in files)\n"
        "from builder.source import load_course\n"
        "course = load_course('fresh')\n"
        "from builder.targets import BuildOptions, renderer\n"
        "(out,) = renderer('moodle-questions')(course, BuildOptions())\n"
        "assert b'<question type=\"multichoice\">' in out.members[out.filename], out.filename\n"
        "print(course.slug)\n"
    )
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "MyOrg-C101-2026_T1"
