fn main() -> std::process::ExitCode {
    platctl::main()
}
