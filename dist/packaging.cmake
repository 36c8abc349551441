# The Debian package (CPack DEB), built by scripts/package: every installed
# file (commands, man pages, units, docs, examples) in one
# geneve-nat64_VERSION_ARCH.deb. Dependencies are computed from the binaries
# by dpkg-shlibdeps (dpkg-dev), not listed by hand, so they cannot go stale.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME geneve-nat64)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Seed 2de090cd maintainers <maintainers@users.noreply.h-seed-2de090cd.example>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${CPACK_PACKAGE_CONTACT})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "GENEVE tunnel endpoints through NAT64 and NAT44, and a NAT64 gateway")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}
 GENEVE tunnels between IPv6 sites across paths where an end has only IPv4
 or sits behind a NAT64 (often behind NAT444 too): geneve-symmetric,
 geneve-client, geneve-server and geneve-auto carry Ethernet frames in
 GENEVE over UDP with a NAT64 routing option; geneve-ctl shows their status;
 geneve-nat64-gateway is a stateful NAT64 with the GENEVE extension.
 Includes systemd units (geneve-nat64@.service, geneve-nat64-gateway.service, geneve-bypass.service, geneve-nat64-health.service),
 man pages, documentation and example configurations.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The Debian name: geneve-nat64_0.1.0_amd64.deb.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Release binaries without their symbol tables: a tenth of the size.
set(CPACK_STRIP_FILES ON)
# systemd learns of the units (and forgets them) without a reboot; removal
# stops what they run.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/dist/debian/postinst ${PROJECT_SOURCE_DIR}/dist/debian/prerm
  ${PROJECT_SOURCE_DIR}/dist/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
