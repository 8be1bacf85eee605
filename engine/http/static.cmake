# Lays out the web task list's folder in the build tree (BUILD/web), which overgangd serves
# by default (engine/http/static.h): the app (engine/web/) and the files of Det Fælles
# Designsystem it uses, from node_modules/dkfds (installed by scripts/deps with npm ci), under
# vendor/dkfds/ in the package's own layout so the stylesheet's relative URLs hold.
# Run as: cmake -DSRC=engine/web -DNODE=node_modules -DOUT=BUILD/web -P static.cmake
set(dkfds ${NODE}/dkfds/dist)
if(NOT EXISTS ${dkfds}/css/dkfds.min.css)
  message(FATAL_ERROR "the web task list needs Det Fælles Designsystem (${dkfds}): run scripts/deps, which runs npm ci")
endif()
file(REMOVE_RECURSE ${OUT}.new)
file(COPY ${SRC}/ DESTINATION ${OUT}.new)
set(v ${OUT}.new/vendor/dkfds)
file(COPY ${dkfds}/css/dkfds.min.css DESTINATION ${v}/css)
file(COPY ${dkfds}/js/dkfds.min.js DESTINATION ${v}/js)
file(COPY ${dkfds}/img/ DESTINATION ${v}/img)
foreach(kind eot woff woff2)
  file(COPY ${dkfds}/fonts/IBMPlexSans/complete/${kind} DESTINATION ${v}/fonts/IBMPlexSans/complete)
endforeach()
file(COPY ${dkfds}/LICENSE.md DESTINATION ${v})
file(REMOVE_RECURSE ${OUT})
file(RENAME ${OUT}.new ${OUT})
