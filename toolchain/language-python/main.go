// Command pulumi-language-python is cloudlab's minimal Python language host for the Pulumi engine.
//
// The official host lives in its own Go module, which the Go module proxy available to us refuses to
// serve, so we implement the LanguageRuntime gRPC service ourselves on top of the published sdk/v3
// packages. Like every plugin it prints its port on stdout, then serves until the engine goes away.
//
// Programs are executed by the SDK's `pulumi-language-python-exec` shim, which must sit next to this
// binary. Virtual environments (`runtime.options.virtualenv`) and the `toolchain` option (pip, uv,
// poetry) are honoured through the SDK's python/toolchain package, which is what the official host
// uses too.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	execShim = "pulumi-language-python-exec"
	// The exec shim exits with this code after it already reported a user-actionable error.
	exitCodeAlreadyReported = 32
)

func main() {
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	executor := flag.String("use-executor", "", "Use this program instead of the exec shim next to the binary")
	// Obsolete flags still passed by older engines; options now arrive in ProgramInfo.
	flag.String("virtualenv", "", "[obsolete]")
	flag.String("root", "", "[obsolete]")
	flag.String("typechecker", "", "[obsolete]")
	flag.String("toolchain", "", "[obsolete]")
	flag.Parse()
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-python", "pulumi-language-python", *tracing)

	shim := *executor
	if shim == "" {
		self, err := os.Executable()
		if err != nil {
			cmdutil.Exit(fmt.Errorf("could not determine current executable: %w", err))
		}
		shim = filepath.Join(filepath.Dir(self), execShim)
		if _, err := os.Stat(shim); err != nil {
			cmdutil.Exit(fmt.Errorf("missing executor %s: %w", shim, err))
		}
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel()
		close(stop)
	}()
	if engineAddress != "" {
		// Exit when the engine disappears instead of lingering as an orphan.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check: %w", err))
		}
	}

	host := &languageHost{shim: shim, engineAddress: engineAddress, tracing: *tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	shim          string
	engineAddress string
	tracing       string
}

// options turns ProgramInfo (root, program dir, Pulumi.yaml runtime options) into toolchain options.
func options(info *pulumirpc.ProgramInfo) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	raw := map[string]any{}
	if info.GetOptions() != nil {
		raw = info.GetOptions().AsMap()
	}
	str := func(key string) (string, error) {
		v, ok := raw[key]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("the %q runtime option must be a string", key)
		}
		return s, nil
	}
	var err error
	if opts.Virtualenv, err = str("virtualenv"); err != nil {
		return opts, err
	}
	tc, err := str("toolchain")
	if err != nil {
		return opts, err
	}
	switch tc {
	case "":
		opts.Toolchain = toolchain.Auto
	case "pip":
		opts.Toolchain = toolchain.Pip
	case "uv":
		opts.Toolchain = toolchain.Uv
	case "poetry":
		opts.Toolchain = toolchain.Poetry
	default:
		return opts, fmt.Errorf("unsupported toolchain option: %s", tc)
	}
	tchk, err := str("typechecker")
	if err != nil {
		return opts, err
	}
	switch tchk {
	case "":
	case "mypy":
		opts.Typechecker = toolchain.TypeCheckerMypy
	case "pyright":
		opts.Typechecker = toolchain.TypeCheckerPyright
	default:
		return opts, fmt.Errorf("unsupported typechecker option: %s", tchk)
	}
	return opts, nil
}

// defaultPluginVenv makes pip-managed plugins (e.g. policy packs) use ./venv when no virtualenv is set:
// plugins never run from the ambient interpreter.
func defaultPluginVenv(opts *toolchain.PythonOptions) {
	if (opts.Toolchain == toolchain.Auto || opts.Toolchain == toolchain.Pip) && opts.Virtualenv == "" {
		opts.Virtualenv = "venv"
	}
}

func resolve(info *pulumirpc.ProgramInfo) (toolchain.PythonOptions, toolchain.Toolchain, error) {
	opts, err := options(info)
	if err != nil {
		return opts, nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	return opts, tc, err
}

// engineLog returns writers that forward text to the engine as ephemeral diagnostics.
func (h *languageHost) engineLog(ctx context.Context) (io.Writer, io.Writer, func(), error) {
	if h.engineAddress == "" {
		return os.Stderr, os.Stderr, func() {}, nil
	}
	conn, err := grpc.NewClient(h.engineAddress,
		grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("language host could not connect to the engine: %w", err)
	}
	client := pulumirpc.NewEngineClient(conn)
	stream := rand.Int31() //nolint:gosec // only a stream id
	mk := func(sev pulumirpc.LogSeverity) io.Writer {
		return writerFunc(func(p []byte) (int, error) {
			_, err := client.Log(ctx, &pulumirpc.LogRequest{
				Message: strings.ToValidUTF8(string(p), "?"), Ephemeral: true, StreamId: stream, Severity: sev,
			})
			return len(p), err
		})
	}
	return mk(pulumirpc.LogSeverity_INFO), mk(pulumirpc.LogSeverity_ERROR), func() { _ = conn.Close() }, nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (h *languageHost) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPackages makes sure the virtualenv exists (creating it like the official host does) and
// reports no packages: provider plugins are resolved lazily from PATH / the plugin cache when the program
// first registers a resource. This keeps SDK packages that are installed but unused (for example
// pulumi_openstack in a shared venv) from forcing their provider binaries to be present.
func (h *languageHost) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	_, tc, err := resolve(req.GetInfo())
	if err != nil {
		return nil, err
	}
	stdout, stderr, done, err := h.engineLog(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := tc.EnsureVenv(ctx, req.GetInfo().GetProgramDirectory(), false, true, stdout, stderr); err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *languageHost) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

// Run executes the program through the exec shim with the interpreter of the configured toolchain.
func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	opts, tc, err := resolve(req.GetInfo())
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	if err := h.typecheck(ctx, opts, tc); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := []string{"-u", h.shim}
	flagArg := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engineAddress)
	flagArg("project", req.GetProject())
	flagArg("root_directory", req.GetInfo().GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", req.GetPwd())
	flagArg("dry_run", strconv.FormatBool(req.GetDryRun()))
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	flagArg("organization", req.GetOrganization())
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{} // the exec shim expects a JSON object, never null
	}
	cfg, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize configuration: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	keys, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
	}
	cmd.Env = append(env, "PULUMI_CONFIG="+string(cfg), "PULUMI_CONFIG_SECRET_KEYS="+string(keys))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	logging.V(5).Infof("language host launching: %s", strings.Join(cmd.Args, " "))

	if err := cmd.Run(); err != nil {
		_ = os.Stdout.Sync()
		_ = os.Stderr.Sync()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
			}, nil
		}
		status, ok := exitErr.Sys().(syscall.WaitStatus)
		switch {
		case ok && status.ExitStatus() == exitCodeAlreadyReported:
			return &pulumirpc.RunResponse{Bail: true}, nil
		case ok && status.ExitStatus() > 0:
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("program exited with non-zero exit code: %d", status.ExitStatus()),
			}, nil
		default:
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", exitErr)}, nil
		}
	}
	return &pulumirpc.RunResponse{}, nil
}

// typecheck runs mypy or pyright over the program first when the typechecker option asks for it.
func (h *languageHost) typecheck(ctx context.Context, opts toolchain.PythonOptions, tc toolchain.Toolchain) error {
	var module string
	switch opts.Typechecker {
	case toolchain.TypeCheckerMypy:
		module = "mypy"
	case toolchain.TypeCheckerPyright:
		module = "pyright"
	default:
		return nil
	}
	cmd, err := tc.ModuleCommand(ctx, module, opts.ProgramDir)
	if err != nil {
		return err
	}
	cmd.Dir = opts.ProgramDir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed: %w", module, err)
	}
	return nil
}

// InstallDependencies creates the virtualenv if needed and installs the project's requirements,
// streaming pip's output back to the CLI.
func (h *languageHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	opts, err := options(req.GetInfo())
	if err != nil {
		return err
	}
	if req.GetIsPlugin() {
		defaultPluginVenv(&opts)
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	fmt.Fprintln(stdout, "Installing dependencies...")
	fmt.Fprintln(stdout)
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory()
	}
	if err := tc.InstallDependencies(server.Context(), dir, req.GetUseLanguageVersionTools(), true,
		stdout, stderr); err != nil {
		return err
	}
	return closer.Close()
}

func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	if req.GetInfo() != nil {
		var err error
		if opts, err = options(req.GetInfo()); err != nil {
			return nil, err
		}
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	// One interpreter start for both facts. The toolchain's About also asks `pip --version` (about
	// 0.3 s, on every `pulumi up` and `preview`, since the engine records this metadata), for a
	// version the response has no field for.
	cmd, err := tc.Command(ctx, "-c", "import platform, sys; print(sys.executable); print(platform.python_version())")
	if err != nil {
		return nil, err
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("asking the Python interpreter for its version: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return nil, fmt.Errorf("unexpected answer of the Python interpreter: %q", string(out))
	}
	return &pulumirpc.AboutResponse{
		Executable: strings.TrimSpace(lines[0]),
		Version:    strings.TrimSpace(lines[1]),
		Metadata:   map[string]string{"toolchain": strings.TrimPrefix(fmt.Sprintf("%T", tc), "*toolchain.")},
	}, nil
}

func (h *languageHost) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	_, tc, err := resolve(req.GetInfo())
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("failed to get python dependencies: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(pkgs))
	for _, p := range pkgs {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// RunPlugin runs a plugin written in Python, e.g. a pulumi-policy pack (`python <dir> <engine address>`).
func (h *languageHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	opts, err := options(req.GetInfo())
	if err != nil {
		return err
	}
	defaultPluginVenv(&opts)
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	if err := tc.ValidateVenv(server.Context()); err != nil {
		return err
	}
	args := append([]string{"-u", req.GetInfo().GetProgramDirectory()}, req.GetArgs()...)
	cmd, err := tc.Command(server.Context(), args...)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd.Dir = req.GetPwd()
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if status, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				code := int32(status.ExitStatus()) //nolint:gosec // exit codes fit in 8 bits
				return server.Send(&pulumirpc.RunPluginResponse{
					Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code},
				})
			}
			return fmt.Errorf("plugin exited unexpectedly: %w", exitErr)
		}
		return fmt.Errorf("problem executing plugin program: %w", err)
	}
	return closer.Close()
}

// RuntimeOptionsPrompts asks nothing: `pulumi new` keeps whatever the template declares.
func (h *languageHost) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *languageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
