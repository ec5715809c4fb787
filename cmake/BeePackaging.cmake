# Debian packages with CPack (docs/packaging.md): `cpack -G DEB` in a build configured
# with BEE_BUILD_SHARED=ON and CMAKE_INSTALL_PREFIX=/usr (scripts/package.sh does both):
#   bee            the `bee` tool, its man page and bash completion
#   libbee<so>     the shared libraries (one SONAME each: libbee_<module>.so.<so>)
#   libbee-dev     headers (/usr/include/bee/...), static archives, the .so links,
#                  the CMake package and bee.pc
set(CPACK_PACKAGE_NAME bee)
set(CPACK_PACKAGE_VENDOR "the bee authors")
set(CPACK_PACKAGE_CONTACT "bee maintainers <maintainers@bee.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "embedded peer-to-peer database (Hypercore log, Hyperbee B-tree)")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL tool lib dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the ELF files (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(BEE_DEB_LIB libbee${BEE_SOVERSION})
set(CPACK_DEBIAN_TOOL_PACKAGE_NAME bee)
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION database)
set(CPACK_DEBIAN_LIB_PACKAGE_NAME ${BEE_DEB_LIB})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
# The shlibs file (so packages built against these libraries depend on this version), and
# the ldconfig trigger Debian policy asks of a shared-library package.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
file(WRITE ${CMAKE_BINARY_DIR}/deb/triggers "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/deb/triggers)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libbee-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "${BEE_DEB_LIB} (= ${PROJECT_VERSION}-1), libsodium-dev, libsimdjson-dev, libboost-dev, libboost-system-dev")

set(CPACK_COMPONENT_TOOL_DESCRIPTION "command-line tool of the bee embedded peer-to-peer database
 bee creates, fills, queries, serves and clones databases: Hyperbee 2 B-trees
 on signed, Merkle-verified Hypercore 10 logs, compatible with the Node.js
 stack.")
set(CPACK_COMPONENT_LIB_DESCRIPTION "shared libraries of the bee embedded peer-to-peer database
 The log (Hypercore 10), the B-tree (Hyperbee 2), replication, discovery
 (HyperDHT, mDNS) and the swarm, as shared libraries.")
set(CPACK_COMPONENT_DEV_DESCRIPTION "development files of the bee embedded peer-to-peer database
 Headers under /usr/include/bee, static libraries, the CMake package
 (find_package(bee)) and the pkg-config file (bee.pc).")
set(CPACK_COMPONENT_DEV_DEPENDS lib)

# Every Debian package carries its copyright file and a Debian changelog in
# /usr/share/doc/<package>/.
string(TIMESTAMP BEE_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
foreach(component tool lib dev)
  string(TOUPPER ${component} upper)
  set(package ${CPACK_DEBIAN_${upper}_PACKAGE_NAME})
  set(BEE_DEB_PACKAGE ${package})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/debian-changelog.in ${CMAKE_BINARY_DIR}/deb/${package}/changelog.Debian @ONLY)
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/deb/${package}/changelog.Debian.gz
    COMMAND gzip -9nc ${CMAKE_BINARY_DIR}/deb/${package}/changelog.Debian > ${CMAKE_BINARY_DIR}/deb/${package}/changelog.Debian.gz
    DEPENDS ${CMAKE_BINARY_DIR}/deb/${package}/changelog.Debian VERBATIM)
  list(APPEND bee_deb_changelogs ${CMAKE_BINARY_DIR}/deb/${package}/changelog.Debian.gz)
  install(FILES ${CMAKE_BINARY_DIR}/deb/${package}/changelog.Debian.gz
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} COMPONENT ${component})
  install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian-copyright
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} RENAME copyright COMPONENT ${component})
endforeach()
add_custom_target(bee_deb_files ALL DEPENDS ${bee_deb_changelogs})

include(CPack)
