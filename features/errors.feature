@area:errors
Feature: How the partner reports errors
  A rejection names the code of the profile's error table that fits best. Where a
  delivery has several problems, the partner reports the one its checks meet first,
  in the order of the profile (section 9). A rejected delivery changes nothing at
  the partner, and every error explains itself to a person.

  @ERR-01 @capability:receive
  Scenario Outline: Of several problems, the first in the order of checks decides
    Given an export permit that we issued, <first problem>
    When we deliver it to the partner <second problem>
    Then the partner rejects it with <code> as the decisive error

    @needs:ENV-03 @needs:DOC-02
    Examples: media type before code lists
      | first problem                                        | second problem           | code    |
      | with a source code "K" that is not in the CITES list | labelled as "text/plain" | EPX-102 |

    @needs:ENV-12 @needs:DOC-02
    Examples: recipient before code lists
      | first problem                                        | second problem                                 | code    |
      | with a source code "K" that is not in the CITES list | addressed to a party the partner does not know | EPX-104 |

    @needs:ENV-13 @needs:DOC-02
    Examples: replay window before code lists
      | first problem                                        | second problem                                     | code    |
      | with a source code "K" that is not in the CITES list | in an envelope created 24 hours and 10 minutes ago | EPX-107 |

    @needs:SIG-01 @needs:ENV-15
    Examples: signature before the agreement of envelope and document
      | first problem               | second problem                                                 | code    |
      | changed after it was signed | in an envelope whose document number differs from the document | EPX-201 |

    @needs:DOC-02 @needs:ENV-15
    Examples: code lists before the agreement of envelope and document
      | first problem                                        | second problem                                                 | code    |
      | with a source code "K" that is not in the CITES list | in an envelope whose document number differs from the document | EPX-301 |

    @needs:ENV-15 @needs:DOC-03
    Examples: agreement of envelope and document before business rules
      | first problem               | second problem                                                 | code    |
      | with a validity of 7 months | in an envelope whose document number differs from the document | EPX-302 |

  @ERR-02 @needs:SIG-04 @needs:ERR-01 @needs:LIF-22 @capability:cancel @changes-state
  Scenario: A rejected permit is not kept by the partner
    Given an export permit that we issued, signed by a certificate from a CA that the partner does not trust
    When we deliver it to the partner
    Then the partner rejects it with EPX-202
    When we cancel that permit
    Then the partner rejects it with EPX-304

  @ERR-02 @needs:SIG-04 @needs:ERR-01 @needs:ENV-06 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:usage-report @changes-state
  Scenario: A rejected usage report does not count
    Given a permit that the partner issued and that has not been used
    When we report the use of all of the quantity of each item, signed by a certificate from a CA that the partner does not trust
    Then the partner rejects it with EPX-202
    When we report the use of all of the quantity of each item
    Then the partner accepts it

  @ERR-02 @needs:SIG-04 @needs:ERR-01 @needs:LIF-01 @capability:usage-report @changes-state
  Scenario: A rejected usage report leaves the state of the permit as it was
    Given a permit that the partner issued and that has not been used
    And the partner also lets us retrieve its permits
    When we report the use of all of the quantity of each item, signed by a certificate from a CA that the partner does not trust
    Then the partner rejects it with EPX-202
    When we retrieve that permit from the partner
    Then the permit's state is given as "issued"

  @ERR-03 @needs:DOC-02 @needs:ENV-05 @capability:receive
  Scenario: An error explains itself and points at the offending part of the document
    Given an export permit that we issued, with a source code "K" that is not in the CITES list
    When we deliver it to the partner
    Then the partner rejects it with EPX-301
    And the error's text is a sentence that a person can read
    And the error's location points at the source code of the permit
