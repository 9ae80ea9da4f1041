from gateway.domain.reasons import REASONS, ReasonCode


def test_every_reason_has_one_row_with_wire_codes() -> None:
    assert set(REASONS) == set(ReasonCode)
    for code, info in REASONS.items():
        assert info.fpml_reason, code
        assert info.fix_trade_report_reject in {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99}, code
