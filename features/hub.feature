@area:hub
Feature: The hub passes requests for permits between Management Authorities (binding A)
  In the Swiss-French pilot an importing Management Authority does not call the
  issuing one directly: it calls the EPIX hub and names the issuing country. The hub
  checks who is calling, picks the issuing authority's adapter, calls it, and passes
  its answer back unchanged.

  Here the partner is the hub. We are the importing authority that calls it, and we
  are also the issuing authority's adapter behind it, so that we see both sides.

  Background:
    Given the issuing authority's adapter behind the hub answers every request

  @PULL-06 @capability:hub
  Scenario Outline: The hub refuses a caller it must not serve
    When <caller> asks the hub for a permit of the issuing country
    Then the hub refuses the call with its fault "<fault>"
    And no request for that permit reached the adapter

    Examples:
      | caller                                                                    | fault               |
      | a caller without a client certificate                                     | CertificateMissing  |
      | a caller whose country has no Management Authority registered at the hub | CallerNotFound      |
      | a registered caller that the adapter does not accept                      | AdapterNotAvailable |

  @PULL-06 @capability:hub
  Scenario: The hub refuses a request for a country that has no adapter
    When we ask the hub for a permit of a country that has no adapter at the hub
    Then the hub refuses the call with its fault "CalleeNotFound"
    And no request for that permit reached the adapter

  @PULL-06 @capability:hub
  Scenario: The hub gives up on an adapter that does not answer in time
    Given the issuing authority's adapter behind the hub does not answer within the hub's timeout
    When we ask the hub for a permit of the issuing country
    Then the request for that permit reached the adapter
    And the hub refuses the call with its timeout fault
    And the hub answers within the adapter's timeout plus 2 seconds

  @PULL-06 @capability:hub
  Scenario: The adapter's answer reaches the caller unchanged
    When we ask the hub for a permit of the issuing country
    Then we receive the adapter's answer unchanged

  @PULL-06 @capability:hub
  Scenario: The adapter's fault reaches the caller unchanged
    Given the issuing authority's adapter behind the hub refuses every request with a fault
    When we ask the hub for a permit of the issuing country
    Then we receive the adapter's fault unchanged

  @PULL-06 @capability:hub
  Scenario: The adapter receives the request in the adapter interface's form, with the quantities
    When we confirm through the hub the quantities inspected of a permit of the issuing country
    Then the request that reached the adapter has the adapter interface's form, with the quantities we confirmed
