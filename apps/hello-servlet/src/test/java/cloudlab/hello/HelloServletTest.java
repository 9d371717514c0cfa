package cloudlab.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HelloServletTest {
  private final Map<String, String> props = new HashMap<>();
  private final Map<String, String> env = new HashMap<>();

  private String name(String appEngine) {
    return HelloServlet.instanceName(props::get, env::get, () -> appEngine, () -> "the-host");
  }

  @Test
  void theSystemPropertyComesFirst() {
    props.put("hello.instance", "from-property");
    env.put("HELLO_INSTANCE", "from-env");
    assertEquals("from-property", name("7"));
  }

  @Test
  void thenTheEnvironmentThenAppEngineThenCloudFoundry() {
    env.put("HELLO_INSTANCE", " hello-1 ");
    env.put("CF_INSTANCE_INDEX", "2");
    assertEquals("hello-1", name("appengine-0"));
    env.remove("HELLO_INSTANCE");
    assertEquals("appengine-0", name("appengine-0"));
    assertEquals("cf-2", name(null));
  }

  @Test
  void blankValuesFallBackToTheHostName() {
    props.put("hello.instance", "  ");
    env.put("CF_INSTANCE_INDEX", "");
    assertEquals("the-host", name(""));
  }

  @Test
  void withoutAppEngineItsInstanceIsUnknown() {
    assertNull(HelloServlet.appEngineInstance());
  }

  @Test
  void theGreetingSaysHello() {
    assertEquals("hello from instance ", HelloServlet.GREETING);
  }
}
