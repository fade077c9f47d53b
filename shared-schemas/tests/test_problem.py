import pytest
from pydantic import ValidationError

from homebed_schemas.problem import PROBLEM_MEDIA_TYPE, FieldError, Problem


def test_problem_round_trips_through_json_with_extension_members() -> None:
    problem = Problem.model_validate(
        {
            "type": "https://homebed.example/problems/validation",
            "title": "Invalid request",
            "status": 422,
            "detail": "contract_end is before contract_start",
            "instance": "/beds/bed-1",
            "request_id": "req-1",
            "errors": [{"field": "body.contract_end", "message": "must be after contract_start"}],
            "retry_after_s": 30,  # RFC 9457 extension member
        }
    )
    restored = Problem.model_validate_json(problem.model_dump_json())
    assert restored == problem
    assert restored.errors == [
        FieldError(field="body.contract_end", message="must be after contract_start")
    ]
    assert restored.model_dump()["retry_after_s"] == 30


def test_problem_defaults_to_about_blank() -> None:
    problem = Problem(title="Not Found", status=404)
    assert problem.type == "about:blank"
    assert problem.model_dump(exclude_none=True) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
    }


@pytest.mark.parametrize("status", [200, 399, 600])
def test_problem_status_must_be_an_error_code(status: int) -> None:
    with pytest.raises(ValidationError):
        Problem(title="Odd", status=status)


def test_problem_media_type() -> None:
    assert PROBLEM_MEDIA_TYPE == "application/problem+json"
