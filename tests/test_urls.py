"""URL patterns for long lists (``utils.urls``): the URL ``url_for`` builds, for every value."""

import pytest
from flask import url_for

from utils.urls import MARKER, url_pattern

PERIOD = {"from": "2024-01-01", "to": "2024-09-30"}


@pytest.mark.parametrize("procedure_id", [1, 42, 1234567])
def test_path_parameter_gives_url_for(app, procedure_id):
    with app.test_request_context("/"):
        show = url_pattern("procedures.show_procedure", "procedure_id", **PERIOD)
        assert show(procedure_id) == url_for(
            "procedures.show_procedure", procedure_id=procedure_id, **PERIOD
        )
        assert show(str(procedure_id)) == show(procedure_id)


def test_query_parameter_keeps_its_place_in_the_query_string(app):
    with app.test_request_context("/"):
        args = {"q": "hộ tịch & đất", "page": 0, "sort": "name", **PERIOD}
        pages = url_pattern("procedures.list_procedures", "page", **args)
        for n in (1, 2, 13):
            expected = url_for("procedures.list_procedures", **{**args, "page": n})
            assert pages(n) == expected
        assert pages(2).index("page=2") < pages(2).index("sort=name")


def test_marker_in_another_value_falls_back_to_url_for(app):
    with app.test_request_context("/"):
        args = {"q": f"x{MARKER}y", **PERIOD}
        show = url_pattern("procedures.show_procedure", "procedure_id", **args)
        assert show(7) == url_for("procedures.show_procedure", procedure_id=7, **args)


def test_script_root_is_kept(app):
    with app.test_request_context("/", base_url="http://localhost/bcci"):
        show = url_pattern("procedures.show_procedure", "procedure_id")
        assert show(5) == url_for("procedures.show_procedure", procedure_id=5)
        assert show(5).startswith("/bcci/procedures/5")


def test_only_integers(app):
    with app.test_request_context("/"):
        show = url_pattern("procedures.show_procedure", "procedure_id")
        with pytest.raises(ValueError):
            show("5?evil=1")
