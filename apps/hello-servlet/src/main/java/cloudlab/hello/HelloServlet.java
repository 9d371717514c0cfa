package cloudlab.hello;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * The PaaS lab's hello world: answers every GET with one line naming the instance that served
 * it, so that a client sees the platform spread its requests over the instances.
 *
 * <p>The instance name is, in order: the system property {@code hello.instance}, the environment
 * variable {@code HELLO_INSTANCE} (set per container by cloudlab's Cloud Foundry stand-in), App
 * Engine's own instance id (the dev server and the real runtime both keep it in the request's
 * API environment), Cloud Foundry's {@code CF_INSTANCE_INDEX}, and last the host name.
 */
public class HelloServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  /** The first line of every answer, before the instance name. */
  static final String GREETING = "hello from instance ";

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    response.setContentType("text/plain");
    response.setCharacterEncoding("UTF-8");
    String name =
        instanceName(System::getProperty, System::getenv, HelloServlet::appEngineInstance,
            HelloServlet::hostName);
    response.getWriter().println(GREETING + name);
  }

  /** The instance name from the sources above, the first that is set and not blank. */
  static String instanceName(
      Function<String, String> properties,
      Function<String, String> environment,
      Supplier<String> appEngine,
      Supplier<String> hostName) {
    String[] candidates = {
      properties.apply("hello.instance"),
      environment.apply("HELLO_INSTANCE"),
      appEngine.get(),
      cloudFoundry(environment.apply("CF_INSTANCE_INDEX")),
    };
    for (String candidate : candidates) {
      if (candidate != null && !candidate.trim().isEmpty()) {
        return candidate.trim();
      }
    }
    return hostName.get();
  }

  private static String cloudFoundry(String index) {
    return index == null || index.trim().isEmpty() ? null : "cf-" + index.trim();
  }

  /**
   * App Engine's instance id of this request ({@code com.google.appengine.instance.id} in the
   * ApiProxy environment), read by reflection: the same WAR runs where App Engine's classes are
   * absent, and then this is null.
   */
  static String appEngineInstance() {
    try {
      Class<?> proxy = Class.forName("com.google.apphosting.api.ApiProxy");
      Object env = proxy.getMethod("getCurrentEnvironment").invoke(null);
      if (env == null) {
        return null;
      }
      Object attributes = env.getClass().getMethod("getAttributes").invoke(env);
      Object id = ((java.util.Map<?, ?>) attributes).get("com.google.appengine.instance.id");
      return id == null ? null : "appengine-" + id;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return null;
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}
