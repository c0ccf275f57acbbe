@area:documents
Feature: The permit documents that the partner receives
  A delivered permit is a CITES ePermit message (UN/CEFACT, toolkit v2). The partner
  checks it against its schema, the code lists of CITES and the rules of the
  Convention, and rejects a document that breaks one of them with the code that
  names the problem.

  @DOC-01 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:receive
  Scenario Outline: Each type of permit and certificate that follows the rules is accepted
    Given <document> that we issued
    When we deliver it to the partner
    Then the partner accepts it

    Examples:
      | document                |
      | an export permit        |
      | a re-export certificate |
      | an import permit        |
      | an other certificate    |

  @DOC-01 @capability:receive
  Scenario Outline: A permit that does not follow the schema is rejected
    Given an export permit that we issued, <flaw>
    When we deliver it to the partner
    Then the partner rejects it with EPX-300

    Examples:
      | flaw                                 |
      | without the scientific name of its item |
      | with an issue date that is not a date |

  @ERR-01 @capability:receive
  Scenario: A delivery that declares a document type definition is refused unread
    Given an export permit that we issued
    When we deliver it to the partner in a body that declares a document type definition with an entity
    Then the partner rejects it with EPX-100

  @DOC-02 @capability:receive
  Scenario Outline: Every coded value must be in its CITES code list
    Given an export permit that we issued, with <value>
    When we deliver it to the partner
    Then the partner rejects it with EPX-301

    Examples:
      | value                                                  |
      | a source code "K" that is not in the CITES list        |
      | a purpose code "X" that is not in the CITES list       |
      | an appendix "IV" that the Convention does not have     |
      | a unit "XYZ" that is not a UN/ECE unit code            |
      | an importer's country "XX" that is not an ISO country code |

  @DOC-03 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:receive
  Scenario Outline: A permit may not be valid for longer than the Convention allows
    Given <document> that we issued, with a validity of <months> months
    When we deliver it to the partner
    Then the partner <outcome>

    Examples:
      | document                | months | outcome                 |
      | an export permit        | 6      | accepts it              |
      | an export permit        | 7      | rejects it with EPX-303 |
      | a re-export certificate | 7      | rejects it with EPX-303 |
      | an import permit        | 12     | accepts it              |
      | an import permit        | 13     | rejects it with EPX-303 |
      | an other certificate    | 7      | rejects it with EPX-303 |

  @DOC-04 @capability:receive
  Scenario Outline: The dates of a permit must be in order
    Given an export permit that we issued, <flaw>
    When we deliver it to the partner
    Then the partner rejects it with EPX-303

    Examples:
      | flaw                                           |
      | with a validity that starts after it ends      |
      | with an issue date in the future               |

  @DOC-05 @capability:receive
  Scenario Outline: The exporter or importer belongs to the issuing country
    Given <document> that we issued, with <party> in another country
    When we deliver it to the partner
    Then the partner rejects it with EPX-303

    Examples:
      | document          | party          |
      | an export permit  | the exporter   |
      | an import permit  | the importer   |

  @DOC-06 @capability:receive
  Scenario Outline: A re-export certificate names the origin of every item
    Given a re-export certificate that we issued, <flaw>
    When we deliver it to the partner
    Then the partner rejects it with EPX-303

    Examples:
      | flaw                                        |
      | without the country of origin of its item   |
      | without the origin permit of its item       |

  @DOC-07 @capability:receive
  Scenario: Wild specimens of Appendix I may not be traded for commercial purposes
    Given an export permit that we issued, for a wild Appendix-I specimen with the commercial purpose
    When we deliver it to the partner
    Then the partner rejects it with EPX-303

  @DOC-08 @capability:receive
  Scenario Outline: Item IDs are tokens and unique within the permit
    Given an export permit that we issued, <flaw>
    When we deliver it to the partner
    Then the partner rejects it with EPX-303

    Examples:
      | flaw                                 |
      | with an item ID that contains white space |
      | with two items that have the same ID |

  @DOC-09 @capability:receive
  Scenario Outline: A replacement names a document of the same issuing authority
    Given an export permit that we issued, <flaw>
    When we deliver it to the partner
    Then the partner rejects it with EPX-303

    Examples:
      | flaw                                                             |
      | as a replacement that does not name the document it replaces     |
      | as a replacement of a document that another authority issued     |

  @DOC-09 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:receive
  Scenario Outline: A replacement of a document of the same issuing authority is accepted
    Given an export permit that we issued, <replacement>
    When we deliver it to the partner
    Then the partner accepts it

    Examples:
      | replacement                                                     |
      | as a replacement of a document that we delivered to it earlier  |
      | as a replacement of a document of ours that it never received   |

  @DOC-10 @needs:ACK-01 @needs:ACK-04 @needs:SIG-03 @capability:receive
  Scenario Outline: Scientific names are written as the nomenclature requires
    Given an export permit that we issued, with the scientific name "<name>"
    When we deliver it to the partner
    Then the partner <outcome>

    Examples:
      | name                      | outcome                 |
      | Loxodonta africana        | accepts it              |
      | Python spp.               | accepts it              |
      | loxodonta africana        | rejects it with EPX-303 |
      | Loxodonta                 | rejects it with EPX-303 |

  @DOC-11 @capability:receive
  Scenario: The permit belongs to the CITES permitting process
    Given an export permit that we issued, with the business process "CITES TRADE"
    When we deliver it to the partner
    Then the partner rejects it with EPX-303
