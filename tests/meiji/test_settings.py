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
