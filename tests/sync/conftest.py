import pytest


@pytest.fixture(autouse=True)
def _tokens_in_memory(memory_keyring):
    """Target tokens go to an in-memory keyring in every test here."""
