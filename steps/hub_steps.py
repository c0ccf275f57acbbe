"""Steps of a hub under test (PULL-06): we call the hub, and we are the adapter behind it."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from epix.hubtest import answers
from epix.hubtest.calls import HubAnswer, ask, hub_fault_problem, in_time_problem, what_arrived
from epix.hubtest.form import CallerRequest, form_problems
from epix.hubtest.relay import relay_problem
from epix.messages.hub_soap import TIMEOUT_FAULTSTRING
from steps.attach import attach_text
from steps.catalogue import adapter_answer, hub_caller
from steps.scene import Scene

@given(parsers.re(r"the issuing authority's adapter behind the hub (?P<phrase>.+)"))
def adapter_answers(scene: Scene, phrase: str) -> None:
    scene.world.hub_rig().adapters.expect(adapter_answer(phrase, scene.world))


@when(parsers.re(r"(?P<caller>.+?) asks? the hub for a permit of (?P<whom>the issuing country|a country that has "
                 r"no adapter at the hub)"), target_fixture="answer")
def ask_for_permit(scene: Scene, caller: str, whom: str) -> HubAnswer:
    rig = scene.world.hub_rig()
    country = rig.country if whom == "the issuing country" else rig.unknown_country
    asked = CallerRequest("GetNonFinalCitesCertificate", answers.new_number(rig.country), answers.new_token(), country)
    return ask(scene.world.hub_client(hub_caller(caller, scene.world)), asked)


@when("we confirm through the hub the quantities inspected of a permit of the issuing country",
      target_fixture="answer")
def confirm_through_hub(scene: Scene) -> HubAnswer:
    rig = scene.world.hub_rig()
    asked = CallerRequest("ConfirmQuantities", answers.new_number(rig.country), answers.new_token(), rig.country,
                          answers.INSPECTED)
    return ask(scene.world.hub_client(), asked)


# ---------------------------------------------------------------------------
# Then

@then(parsers.re(r'the hub refuses the call with its fault "(?P<faultstring>[^"]+)"'))
def refused_with(scene: Scene, answer: HubAnswer, faultstring: str) -> None:
    problem = hub_fault_problem(answer, faultstring)
    assert problem is None, f"{scene.ids}: {problem}"


@then("the hub refuses the call with its timeout fault")
def refused_for_timeout(scene: Scene, answer: HubAnswer) -> None:
    problem = hub_fault_problem(answer, TIMEOUT_FAULTSTRING)
    assert problem is None, f"{scene.ids}: {problem}"


@then("the hub answers within the adapter's timeout plus 2 seconds")
def answered_in_time(scene: Scene, answer: HubAnswer) -> None:
    problem = in_time_problem(answer, scene.world.hub_rig().adapter_timeout)
    assert problem is None, f"{scene.ids}: {problem}"


@then("no request for that permit reached the adapter")
def adapter_not_called(scene: Scene, answer: HubAnswer) -> None:
    calls = _calls_for(scene, answer)
    assert not calls, f"{scene.ids}: the hub should have refused the call itself, but passed {len(calls)} " \
                      f"request(s) for that permit on to the adapter"


@then("the request for that permit reached the adapter")
def adapter_called(scene: Scene, answer: HubAnswer) -> None:
    _the_one_call(scene, answer)


@then(parsers.re(r"we receive the adapter's (?P<what>answer|fault) unchanged"))
def relayed_unchanged(scene: Scene, answer: HubAnswer, what: str) -> None:
    call = _the_one_call(scene, answer)
    assert answer.exchange is not None, f"{scene.ids}: the hub gave no answer: {answer.refused}"
    problem = relay_problem(answer.exchange.response_body, call.answered.body)
    assert problem is None, f"{scene.ids}: the adapter's {what} did not reach us unchanged: {problem} " \
                            f"(the hub answered {what_arrived(answer)})"


@then("the request that reached the adapter has the adapter interface's form, with the quantities we confirmed")
def adapter_form(scene: Scene, answer: HubAnswer) -> None:
    call = _the_one_call(scene, answer)
    problems = form_problems(call, answer.asked, scene.world.hub_rig().settings.namespace)
    assert not problems, f"{scene.ids}: the request that reached the adapter is not the adapter interface's " \
                         f"form: {'; '.join(problems)}"


def _calls_for(scene: Scene, answer: HubAnswer) -> list:
    """The requests for the permit the scenario asked for that reached the adapter, attached to the report."""
    calls = scene.world.hub_rig().adapters.received(answer.asked.number)
    for call in calls:
        attach_text("what reached the adapter", call.as_text())
    return calls


def _the_one_call(scene: Scene, answer: HubAnswer):  # noqa: ANN202 - epix.hubtest.adapters.ReceivedCall
    calls = _calls_for(scene, answer)
    assert len(calls) == 1, f"{scene.ids}: one request for that permit should have reached the adapter; " \
                            f"{len(calls)} did"
    return calls[0]
