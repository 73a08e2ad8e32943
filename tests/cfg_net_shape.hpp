// The height, width and channels of a Darknet cfg's [net] section, read as Darknet reads them
// (white space removed, '#' and ';' comments skipped): for the OpenCV programs
// (tests/netout_opencv.cpp, bench/infer_opencv.cpp), which feed OpenCV's DNN module an input of
// the network's size. False when one is missing.
#ifndef CFG_NET_SHAPE_HPP
#define CFG_NET_SHAPE_HPP

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <string>

static bool net_shape(const char *cfg, int &h, int &w, int &c)
{
    std::ifstream in(cfg);
    std::string line;
    bool in_net = false;
    h = w = c = 0;
    while(std::getline(in, line)){
        std::string s;
        for(char ch : line) if(!isspace((unsigned char)ch)) s += ch;
        if(s.empty() || s[0] == '#' || s[0] == ';') continue;
        if(s[0] == '['){ in_net = (s == "[net]" || s == "[network]"); continue; }
        if(!in_net) continue;
        size_t eq = s.find('=');
        if(eq == std::string::npos) continue;
        std::string k = s.substr(0, eq);
        int v = atoi(s.c_str() + eq + 1);
        if(k == "height") h = v; else if(k == "width") w = v; else if(k == "channels") c = v;
    }
    return h > 0 && w > 0 && c > 0;
}

#endif
