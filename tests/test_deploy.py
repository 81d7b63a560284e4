"""The hardened service in deploy/: its directives, its systemd-analyze rating, the failure
hook, and renders that write their caches where the unit says (never into a home folder)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT

DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "izreport-run-due.service"
FAILURE = DEPLOY / "izreport-failure@.service"


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values, in order]}} (keys may repeat in systemd)."""
    sections: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    current = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a directive: {raw!r}"
        sections[current][key.strip()].append(value.strip())
    return sections


def _one(service: dict[str, list[str]], key: str) -> str:
    values = service.get(key)
    assert values, f"{key}= is missing"
    return values[-1]


def _environment(service: dict[str, list[str]]) -> dict[str, str]:
    env = {}
    for line in service.get("Environment", []):
        name, _, value = line.partition("=")
        env[name] = value
    return env


def test_the_service_is_hardened() -> None:
    unit = parse_unit(UNIT)
    service = unit["Service"]
    expected = {
        "ProtectSystem": "strict", "ProtectHome": "true", "PrivateTmp": "true",
        "PrivateDevices": "true", "NoNewPrivileges": "true", "IPAddressDeny": "any",
        "IPAddressAllow": "localhost", "CapabilityBoundingSet": "",
        "RestrictSUIDSGID": "true", "ProtectKernelTunables": "true",
        "ProtectKernelModules": "true", "ProtectControlGroups": "true",
        "LockPersonality": "true", "RestrictNamespaces": "true",
        "SystemCallArchitectures": "native", "StateDirectory": "izreport",
        "CacheDirectory": "izreport", "User": "izreport",
    }
    for key, value in expected.items():
        assert _one(service, key) == value, key
    assert "@system-service" in service["SystemCallFilter"]
    families = set(_one(service, "RestrictAddressFamilies").split())
    assert families == {"AF_UNIX", "AF_INET", "AF_INET6"}  # no raw, netlink, packet sockets
    assert "/srv/intranet" in _one(service, "ReadWritePaths").split()

    # code and data apart: the code is only executed, the working folder is the data
    assert _one(service, "ExecStart").startswith("/opt/izreport/.venv/bin/izreport run-due")
    assert "--out /var/lib/izreport/outputs" in _one(service, "ExecStart")
    assert _one(service, "WorkingDirectory") == "/var/lib/izreport"
    env = _environment(service)
    assert env["IZREPORT_DATA"].startswith("/var/lib/izreport/")
    assert env["IZREPORT_TEXTS"].startswith("/var/lib/izreport/")
    for name in ("XDG_CACHE_HOME", "IPYTHONDIR", "MPLCONFIGDIR", "JUPYTER_DATA_DIR"):
        assert env[name].startswith("/var/cache/izreport"), name
    assert env["JUPYTER_RUNTIME_DIR"].startswith("/run/izreport")
    assert not any(v.startswith("/opt/izreport") for v in env.values())

    # a failure starts the template with the failed unit's name
    assert _one(unit["Unit"], "OnFailure") == "izreport-failure@%n.service"
    hook = parse_unit(FAILURE)["Service"]
    assert "%i" in _one(hook, "ExecStart") and "mail" in _one(hook, "ExecStart")
    assert "MAILTO" in _environment(hook)


def _exposure(unit: Path) -> float:
    done = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                           str(unit)], capture_output=True, text=True, timeout=120,
                          cwd=unit.parent)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    if found is None and "offline" in done.stderr.lower():
        pytest.skip(f"this systemd-analyze cannot analyse offline: {done.stderr.strip()}")
    assert found, done.stdout + done.stderr
    return float(found.group(1))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_rates_the_service_at_most_2_5(tmp_path: Path) -> None:
    unit = tmp_path / UNIT.name
    shutil.copyfile(UNIT, unit)
    assert _exposure(unit) <= 2.5
    # and it measures something: the unit without its hardening is exposed
    bare = tmp_path / "bare" / UNIT.name
    bare.parent.mkdir()
    keep = ("[", "Description", "Type", "User", "Group", "ExecStart", "WantedBy")
    bare.write_text("\n".join(line for line in UNIT.read_text(encoding="utf-8").splitlines()
                              if line.startswith(keep)) + "\n", encoding="utf-8")
    assert _exposure(bare) > 5


def test_the_guide_installs_code_and_data_apart_and_connects_mail() -> None:
    guide = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "git clone <repository> /opt/izreport" in guide
    assert "/var/lib/izreport/data" in guide and "/var/lib/izreport/outputs" in guide
    assert "chown -R izreport: /opt/izreport" not in guide  # the service never owns its code
    assert "izreport-failure@.service" in guide and "MAILTO" in guide
    assert "systemctl start izreport-failure@izreport-run-due.service.service" in guide


def _without_network() -> list[str]:
    """A command prefix that runs without any network (loopback down), if this host can."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    done = subprocess.run([unshare, "--net", "true"], capture_output=True, timeout=30)
    return [unshare, "--net"] if done.returncode == 0 else []


def test_a_render_with_the_unit_environment_writes_no_home(tmp_path: Path) -> None:
    """The unit's environment, its folders moved under tmp_path, and an empty HOME.

    Where the host allows it, the render runs in a network namespace of its own whose
    loopback is down: stricter than IPAddressDeny=any, it shows that the kernel and the
    renderer talk over Unix sockets, not TCP.
    """
    env = _environment(parse_unit(UNIT)["Service"])
    moved = {"/var/lib/izreport": tmp_path / "state", "/var/cache/izreport": tmp_path / "cache",
             "/run/izreport": tmp_path / "run"}
    for folder in moved.values():
        folder.mkdir()
    for name, value in env.items():
        for prefix, there in moved.items():
            if value.startswith(prefix):
                env[name] = str(there) + value[len(prefix):]
    home = tmp_path / "home"  # the account's home: must stay empty
    home.mkdir()
    env["HOME"] = str(home)
    data = tmp_path / "state" / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.md", "submissions"))
    run_env = {k: v for k, v in os.environ.items()
               if not k.startswith(("XDG_", "IPYTHON", "MPL", "JUPYTER_"))}
    run_env.update(env)
    done = subprocess.run(
        [*_without_network(), sys.executable, "-c",
         "from izreport.commands.cli import main; main()",
         "render", "monthly", "--period", "2021-06", "--to", "html,pdf",
         "--out", str(tmp_path / "state" / "outputs"),
         "--data", str(data)], capture_output=True, text=True, timeout=600, env=run_env,
        cwd=tmp_path / "state")
    assert done.returncode == 0, done.stderr
    assert list(home.iterdir()) == []
    assert (tmp_path / "cache" / "izreport").is_dir()  # the Vega bundle, under XDG_CACHE_HOME
    for ext in ("html", "pdf"):
        assert (tmp_path / "state" / "outputs" / f"monthly_2021-06.{ext}").is_file()
