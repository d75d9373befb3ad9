"""Settings come from MEIJI_* variables once; a bad value stops start-up naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.settings import RateLimit, SettingsError, load


def test_embedded_defaults_live_under_the_data_dir(tmp_path: Path) -> None:
    settings = load({"MEIJI_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite://{tmp_path.resolve() / 'meiji.sqlite3'}"
    assert settings.storage_url == (tmp_path / "media").resolve().as_uri()
    assert settings.search_url.startswith("tantivy://") and settings.search_url.endswith("/search")
    assert settings.rate_limits is not None and settings.rate_limits["signup"] == RateLimit(10, 3600)


@pytest.mark.parametrize(("name", "value"), [
    ("MEIJI_DATABASE_URL", "mysql://x"),
    ("MEIJI_STORAGE_URL", "ftp://bucket"),
    ("MEIJI_SEARCH_URL", "elastic://x"),
    ("MEIJI_MAX_BODY_BYTES", "lots"),
    ("MEIJI_AUTOHIDE_REPORTS", "0"),
    ("MEIJI_RATE_LIMITS", "login=ten/60"),
    ("MEIJI_RATE_LIMITS", "nonsense=1/60"),
    ("MEIJI_BACKGROUND", "perhaps"),
    ("MEIJI_SCHEDULER_SECONDS", "-1"),
])
def test_invalid_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as error:
        load({name: value})
    assert str(error.value).startswith(f"{name}: ")
    assert "\n" not in str(error.value)


def test_rate_limits_can_be_turned_off_or_tuned() -> None:
    assert load({"MEIJI_RATE_LIMITS": "off"}).rate_limits is None
    tuned = load({"MEIJI_RATE_LIMITS": "login=5/60, upload=1/10"}).rate_limits
    assert tuned is not None
    assert tuned["login"] == RateLimit(5, 60) and tuned["upload"] == RateLimit(1, 10)
    assert tuned["signup"] == RateLimit(10, 3600)


def test_the_shared_search_backend_is_named_by_one_word() -> None:
    assert load({"MEIJI_SEARCH_URL": "postgres"}).search_url == "postgres"


@pytest.mark.parametrize(("host", "port", "expected"), [
    ("127.0.0.1", 8012, "http://127.0.0.1:8012"),
    ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
    ("::1", 8000, "http://[::1]:8000"),
    ("meiji.local", 80, "http://meiji.local:80"),
])
def test_the_public_url_follows_the_served_address_when_unset(host: str, port: int, expected: str) -> None:
    from kernel.settings import follow_server

    env: dict[str, str] = {}
    assert follow_server(host, port, env) == expected
    assert load(env).public_url == expected


def test_an_operator_s_public_url_is_kept_whatever_is_served() -> None:
    from kernel.settings import follow_server

    env = {"MEIJI_PUBLIC_URL": "https://api.meiji.example/"}
    assert follow_server("0.0.0.0", 8012, env) == "https://api.meiji.example"
    assert load(env).public_url == "https://api.meiji.example"
