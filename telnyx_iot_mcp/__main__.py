from telnyx_iot_mcp.server.console import main

main()
