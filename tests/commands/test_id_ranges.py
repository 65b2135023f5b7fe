import pytest

from customers.importing import IdRanges


@pytest.mark.parametrize(
    ("batches", "inside", "outside"),
    [
        ([[1, 2, 3], [4, 5]], [1, 3, 4, 5], [0, 6]),
        ([[10, 12, 11], [1, 2], [20]], [1, 2, 10, 11, 12, 20], [0, 3, 9, 13, 19, 21]),
        ([[5], [3], [4]], [3, 4, 5], [2, 6]),
        ([[]], [], [0, 1]),
    ],
    ids=["consecutive_batches_case", "gaps_case", "out_of_order_case", "empty_case"],
)
def test_id_ranges_hold_exactly_the_added_ids(batches, inside, outside):
    # given
    ranges = IdRanges()

    # when
    for batch in batches:
        ranges.add(batch)

    # then
    assert [value for value in inside if value in ranges] == inside
    assert [value for value in outside if value in ranges] == []
