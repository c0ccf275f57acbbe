"""XML namespaces of the pilot messages, and the prefixes used in XPath locations."""

RSM = "urn:un:unece:uncefact:data:standard:CITESEPermit:2"
RAM = "urn:un:unece:uncefact:data:draft:ReusableAggregateBusinessInformationEntity:1"
EPX = "urn:epix:pilot:envelope:1"
DS = "http://www.w3.org/2000/09/xmldsig#"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"

#: Binding A namespaces as deployed. The hub interface's rpc elements (3.2) are in
#: ``CITES_EXCHANGE``; an adapter's requests and responses (3.1) default to
#: ``CITES_EXCHANGE_V2``, a profile setting (:class:`epix.messages.soap.SoapSettings`).
CITES_EXCHANGE = "urn:CitesDataExchange"
CITES_EXCHANGE_V2 = "urn:CitesDataExchange/v2/"

#: Prefixes used in every XPath the harness reports (finding locations, field maps).
PREFIXES = {"rsm": RSM, "ram": RAM, "epx": EPX, "ds": DS, "soap": SOAP}


def qname(ns: str, local: str) -> str:
    """Clark notation: ``{namespace}local``."""
    return f"{{{ns}}}{local}"
