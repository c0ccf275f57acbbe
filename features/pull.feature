@area:pull
Feature: Requesting permits from the issuing Management Authority (binding A)
  In the Swiss-French pilot an importing Management Authority asks the issuing
  Management Authority for a permit by its number and security token, and confirms
  the quantities its border inspection found. The calls are those of the EPIX hub
  and its adapters: GetNonFinalCitesCertificate, GetFinalCitesCertificate,
  ConfirmQuantities and ServiceState.

  Here we play the EPIX hub calling the adapter of the issuing Management Authority,
  and send every request as the hub did. The hub waits for an adapter's answer for the
  adapter timeout: 5 seconds, unless the profile gives the partner's own.

  @PULL-01 @capability:pull
  Scenario: The partner reports the state of its service
    When we ask the partner for the state of its service
    Then the partner answers with its state and no fault
    And the answer arrives within the adapter timeout

  @PULL-02 @capability:pull
  Scenario: An importing authority requests an issued permit by number and token
    Given a permit that the partner issued and that has not been used
    When we request that permit with its security token
    Then the answer carries exactly one permit, with the number we asked for
    And that permit follows every document rule of the profile

  @PULL-02 @capability:pull
  Scenario: The partner answers a request for a permit within the hub's wait for its adapter
    Given a permit that the partner issued and that has not been used
    When we request that permit with its security token
    Then the answer arrives within the adapter timeout

  @PULL-03 @capability:pull
  Scenario Outline: A request that names the wrong permit reveals nothing
    Given a permit that the partner issued and that has not been used
    When we request <which>
    Then the partner refuses the request as the caller's error, with <code>
    And the refusal reveals nothing of the permit

    Examples:
      | which                                      | code    |
      | a permit number that the partner never issued | EPX-304 |
      | that permit with a wrong security token    | EPX-309 |

  @PULL-04 @capability:pull
  Scenario Outline: A malformed request for a permit is refused
    Given a permit that the partner issued and that has not been used
    When we request that permit in a request with <flaw>
    Then the partner refuses the request as the caller's error, with <code>

    Examples: missing or malformed parameters
      | flaw                                                   | code    |
      | no certificate number                                  | EPX-101 |
      | an issuing country code that is not ISO 3166-1 alpha-2 | EPX-101 |
      | a body that is not well-formed XML                     | EPX-100 |

    Examples: a body that declares a document type definition
      | flaw                                            | code    |
      | a body that declares a document type definition | EPX-100 |

  @PULL-04 @capability:confirm-quantities @changes-state
  Scenario Outline: A malformed confirmation of quantities is refused
    Given a permit that the partner issued and that has not been used
    When we confirm the quantities of that permit in a request with <flaw>
    Then the partner refuses the request as the caller's error, with EPX-101

    Examples:
      | flaw                                   |
      | an item ID that contains white space   |
      | a negative inspected quantity          |
      | an inspected quantity that is not a whole number |

  @PULL-05 @capability:pull
  Scenario Outline: A caller that the partner cannot authenticate is refused
    Given a permit that the partner issued and that has not been used
    When <caller> requests that permit with its security token
    Then the partner refuses the caller before looking at the request

    Examples:
      | caller                                                      |
      | a caller without a client certificate                       |
      | a caller whose certificate does not chain to a pilot CA     |

  @PULL-05 @capability:pull
  Scenario: A registered caller that the partner does not serve is refused
    Given a permit that the partner issued and that has not been used
    When a registered party that the partner does not serve requests that permit with its security token
    Then the partner refuses the request with EPX-105

  @PULL-07 @capability:final
  Scenario: There is no final permit before the border has confirmed quantities
    Given a permit that the partner issued and that has not been used
    When we request the final version of that permit
    Then the partner refuses the request as the caller's error, with EPX-310

  @PULL-07 @LIF-13 @needs:PULL-08 @capability:confirm-quantities @changes-state
  Scenario: The final permit carries the quantities confirmed at the border
    Given a permit that the partner issued and that has not been used
    And the partner also serves the final version of its permits
    When we confirm an inspected quantity of 1 for the first item of that permit
    And we request the final version of that permit
    Then the final permit shows an inspected quantity of 1 on the first item

  @PULL-08 @LIF-11 @needs:LIF-13 @needs:PULL-07 @capability:confirm-quantities @changes-state
  Scenario: Confirming the same quantities twice changes nothing
    Given a permit that the partner issued and that has not been used
    And the partner also serves the final version of its permits
    When we confirm an inspected quantity of 1 for the first item of that permit
    And we confirm an inspected quantity of 1 for the first item of that permit
    And we request the final version of that permit
    Then the final permit shows an inspected quantity of 1 on the first item

  @PULL-08 @LIF-11 @needs:LIF-13 @needs:PULL-07 @capability:confirm-quantities @changes-state
  Scenario: A later confirmation replaces the earlier quantity
    Given a permit that the partner issued and that has not been used
    And the partner also serves the final version of its permits
    When we confirm an inspected quantity of 2 for the first item of that permit
    And we confirm an inspected quantity of 1 for the first item of that permit
    And we request the final version of that permit
    Then the final permit shows an inspected quantity of 1 on the first item

  @PULL-08 @LIF-10 @LIF-11 @LIF-21 @capability:confirm-quantities @changes-state
  Scenario Outline: A confirmation that breaks the rules of the permit is refused
    Given <permit>
    When we confirm <quantity> for <item> of that permit
    Then the partner refuses the request as the caller's error, with <code>

    Examples:
      | permit                                                  | quantity                              | item                   | code    |
      | a permit number that the partner never issued            | an inspected quantity of 1            | the first item         | EPX-304 |
      | a permit that the partner issued and then cancelled      | an inspected quantity of 1            | the first item         | EPX-307 |
      | a permit that the partner issued and that has expired    | an inspected quantity of 1            | the first item         | EPX-306 |
      | a permit that the partner issued and that has not been used | an inspected quantity of 1         | an item the permit does not have | EPX-303 |
      | a permit that the partner issued and that has not been used | more than the permitted quantity   | the first item         | EPX-305 |

  @PULL-08 @needs:PULL-07 @capability:confirm-quantities @changes-state
  Scenario: A confirmation without quantities, as the EPIX hub forwarded it, changes nothing
    Given a permit that the partner issued and that has not been used
    And the partner also serves the final version of its permits
    When we confirm that permit without naming any quantity, as the EPIX hub did
    Then the partner accepts the confirmation, or refuses it as the caller's error, but not as its own failure
    And the partner still has no final version of that permit

  @PULL-09 @capability:pull
  Scenario Outline: Answers use the SOAP 1.1 media type and the HTTP status of their outcome
    Given a permit that the partner issued and that has not been used
    When we request <which>
    Then the answer has the media type text/xml and the HTTP status <status>

    Examples: success
      | which                               | status |
      | that permit with its security token | 200    |

    @needs:PULL-03
    Examples: fault
      | which                                         | status |
      | a permit number that the partner never issued | 500    |

  @PULL-10 @SIG-01 @capability:pull
  Scenario: A partner that signs its permits returns them with a valid signature
    Given a permit that the partner issued and that has not been used
    And the partner signs the permits it returns
    When we request that permit with its security token
    Then the permit comes as it was signed, under its qualified name rsm:CITESEPermit
    And the permit carries one enveloped signature that covers the whole document
    And the signature verifies against the partner's trust anchor at the permit's issue date

  @PULL-11 @needs:PULL-02 @capability:pull
  Scenario Outline: The partner accepts a request written as the EPIX hub writes it
    Given a permit that the partner issued and that has not been used
    When we request that permit with its security token, written <form>
    Then the answer carries exactly one permit, with the number we asked for

    Examples:
      | form                                                                      |
      | as the EPIX hub sent it                                                   |
      | with other namespace prefixes                                             |
      | with the adapter's namespace as the default namespace of the request      |

  @PULL-12 @capability:pull
  Scenario Outline: A request naming another issuing country is refused before anything else
    Given a permit that the partner issued and that has not been used
    When we request that permit <how>, naming another country as its issuing country
    Then the partner refuses the request as the caller's error, with EPX-104

    Examples:
      | how                            |
      | with its security token        |
      | without its certificate number |
