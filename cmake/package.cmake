# `make package` (or `cpack -G DEB` in the build directory): a Debian package with
#   /usr/bin/parley
#   /etc/parley/parley.toml          (a conffile: kept when the package is upgraded or removed)
#   /lib/systemd/system/parley.service (DynamicUser, StateDirectory=parley: data in /var/lib/parley)
#   /usr/share/doc/parley/           (README, configuration reference, example, Prometheus and
#                                     Grafana files)
# Dependencies come from the binary's shared libraries (dpkg-shlibdeps).
install(TARGETS parley RUNTIME DESTINATION bin)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/parley.toml DESTINATION /etc/parley)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/parley.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/parley.example.toml
              ${CMAKE_SOURCE_DIR}/docs/configuration.md ${CMAKE_SOURCE_DIR}/docs/operations.md
              ${CMAKE_SOURCE_DIR}/deploy/prometheus.yml
              ${CMAKE_SOURCE_DIR}/deploy/grafana-dashboard.json
        DESTINATION share/doc/parley)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME parley)
set(CPACK_PACKAGE_VENDOR "Parley")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Real-time chat server speaking the wire protocols of several chat systems")
set(CPACK_PACKAGE_CONTACT "Parley maintainers <parley@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/parley")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/deploy/debian/conffiles ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
    ${CMAKE_SOURCE_DIR}/deploy/debian/prerm ${CMAKE_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
include(CPack)
