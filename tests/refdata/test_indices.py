"""The one index table: the product scope and the risk engine read every spelling of an index alike."""

from __future__ import annotations

from gateway.refdata.indices import ALIASES, index_info
from gateway.rules.products import ProductTable


def test_every_spelling_the_scope_renames_is_the_index_the_risk_engine_prices() -> None:
    table = ProductTable.load()
    assert ALIASES.items() <= table.aliases.items()
    for spelling, canonical in table.aliases.items():
        info = index_info(spelling)
        assert info is not None, spelling
        assert info.name == canonical
    assert table.canonical_index("AUD-BBSW") == "AUD-BBR-BBSW"
    assert table.canonical_index("USD-SOFR") == "USD-SOFR-OIS Compound"


def test_a_products_file_adds_spellings_to_the_reference_ones() -> None:
    text = (
        "[[product]]\nname='AUD OIS'\nproduct='OIS'\ncurrency='AUD'\nindices=['AUD-AONIA-OIS-COMPOUND']\n"
        "max_maturity='30Y'\n[aliases]\n'AONIA-LOCAL' = 'AUD-AONIA-OIS-COMPOUND'\n"
    )
    table = ProductTable.from_toml(text, "t")
    assert table.canonical_index("AONIA-LOCAL") == "AUD-AONIA-OIS-COMPOUND"
    assert table.canonical_index("AUD-AONIA") == "AUD-AONIA-OIS-COMPOUND"  # from the reference data
    assert table.canonical_index("AUD-BBR-BBSW") == "AUD-BBR-BBSW"
