/// Stops the program with `message` when `condition` is false, in every build configuration.
///
/// Swift's `precondition` drops its message under `-O`, so a user of a release build, which is what
/// users run, would see only "precondition failure" and a backtrace. Every check whose message tells
/// the user what went wrong (shapes, "call compile first", arguments of the public API) goes through
/// this instead: `fatalError` prints its message in every build. `ErrorTests` pins the messages, and
/// CI runs the tests once as a release build.
///
/// Errors in data read from outside (files, flags, the environment) are thrown, never required:
/// `require` is for mistakes in the program that calls the library.
@inlinable package func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { fatalError(message(), file: file, line: line) }
}

/// Stops the program with `message` in every build configuration: `require(false, message)`.
@inlinable package func requirementFailure(
    _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) -> Never {
    fatalError(message(), file: file, line: line)
}
